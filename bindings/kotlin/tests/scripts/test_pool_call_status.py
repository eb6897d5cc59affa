"""pool_call_status.py rewrites exactly the generated call function, and refuses any other shape."""

import os
import subprocess
import sys
import tempfile
import unittest

KOTLIN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, KOTLIN_DIR)
import pool_call_status as pcs  # noqa: E402

# The pieces of a generated file the script looks at, as uniffi 0.32.2 writes them.
GENERATED = (
    pcs.LAYOUT
    + "    @JvmField var other: Byte = 0\n    class ByValue: UniffiRustCallStatus(), Structure.ByValue\n}\n\n"
    + "    companion object {\n        fun create(code: Byte, errorBuf: RustBuffer.ByValue): UniffiRustCallStatus.ByValue {\n"
    + "            val callStatus = UniffiRustCallStatus.ByValue()\n            return callStatus\n        }\n    }\n\n"
    + pcs.CALL_WITH_ERROR
    + "\n"
    + pcs.CHECK
    + "\nprivate inline fun <U> uniffiRustCall(callback: (UniffiRustCallStatus) -> U): U {\n}\n"
    + "internal open class UniffiForeignFutureResultU8(\n"
    + "    @JvmField internal var `callStatus`: UniffiRustCallStatus.ByValue = UniffiRustCallStatus.ByValue(),\n) : Structure() {\n"
    + "    fun uniffiSetValue(\n        `callStatus`: UniffiRustCallStatus.ByValue = UniffiRustCallStatus.ByValue(),\n    ) {}\n}\n"
)


class PoolCallStatusTest(unittest.TestCase):
    def test_rewrites_the_call_function_only(self):
        pooled = pcs.pooled(GENERATED)
        self.assertEqual(pooled, GENERATED.replace(pcs.CALL_WITH_ERROR, pcs.POOLED))
        self.assertIn("UniffiCallStatusPool.take()", pooled)
        self.assertIn("UniffiCallStatusPool.readBack(status)", pooled)
        self.assertIn("UniffiCallStatusPool.giveBack(status)", pooled)
        self.assertNotIn("var status = UniffiRustCallStatus()", pooled)

    def test_refuses_each_changed_shape(self):
        changes = [
            (
                "a changed call function",
                GENERATED.replace("uniffiCheckCallStatus(errorHandler, status)", "check(status)"),
                "uniffiRustCallWithError",
            ),
            ("an already pooled file", pcs.pooled(GENERATED), "uniffiRustCallWithError"),
            (
                "another status allocation",
                GENERATED + "fun elsewhere() { val s = UniffiRustCallStatus() }\n",
                "somewhere other",
            ),
            (
                "a changed status check",
                GENERATED.replace("if (status.isSuccess()) {", "if (status.code == 0.toByte()) {"),
                "uniffiCheckCallStatus",
            ),
            (
                "a by-value status made for a call",
                GENERATED + "fun elsewhere() = UniffiLib.some_call(UniffiRustCallStatus.ByValue())\n",
                "somewhere other",
            ),
            (
                "a changed layout",
                GENERATED.replace('@Structure.FieldOrder("code", "error_buf")', '@Structure.FieldOrder("error_buf", "code")'),
                "one-byte code",
            ),
        ]
        for name, source, message in changes:
            with self.subTest(name):
                self.assertNotEqual(source, GENERATED)
                with self.assertRaisesRegex(ValueError, message):
                    pcs.pooled(source)

    def test_the_build_fails_on_a_changed_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".kt", delete=False) as f:
            f.write(GENERATED.replace("return return_value", "return_value"))
        try:
            script = os.path.join(KOTLIN_DIR, "pool_call_status.py")
            run = subprocess.run([sys.executable, script, f.name], capture_output=True, text=True)
            self.assertNotEqual(run.returncode, 0)
            self.assertIn("pool_call_status:", run.stderr)
            with open(f.name, encoding="utf-8") as written:
                self.assertNotIn("UniffiCallStatusPool", written.read())
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main()
