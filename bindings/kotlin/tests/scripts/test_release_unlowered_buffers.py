"""release_unlowered_buffers.py wraps the arguments of calls of several, and refuses any other shape."""

import os
import sys
import unittest
from unittest import mock

KOTLIN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, KOTLIN_DIR)
import release_unlowered_buffers as rub  # noqa: E402

# Calls as uniffi 0.32.2 writes them, cut down to what the script reads.
HANDLE = "public object FfiConverterTypeVault: FfiConverter<Vault, Long> {\n}\n"
ONE = """\
    UniffiLib.uniffi_strongroom_ffi_fn_method_vault_profile(
        it,
        
        FfiConverterString.lower(`profileId`),_status)
}
"""
THREE = """\
    UniffiLib.uniffi_strongroom_ffi_fn_method_profilescope_check_card(
        it,
        
        FfiConverterTypeCardInput.lower(`card`),
        FfiConverterOptionalTypeAddress.lower(`billing`),
        FfiConverterOptionalMapStringString.lower(`metadata`),_status)
}
"""


class ReleaseUnloweredBuffersTest(unittest.TestCase):
    def test_wraps_calls_of_several_arguments_only(self):
        patched = rub.patch(HANDLE + ONE + THREE)
        self.assertIn(ONE, patched, "a call of one argument is left as generated")
        self.assertIn("        UniffiUnloweredBuffers.keep(FfiConverterTypeCardInput.lower(`card`)),\n", patched)
        self.assertIn("        UniffiUnloweredBuffers.next { FfiConverterOptionalTypeAddress.lower(`billing`) },\n", patched)
        last = "        UniffiUnloweredBuffers.last { FfiConverterOptionalMapStringString.lower(`metadata`) },_status)\n"
        self.assertIn(last, patched)

    def test_refuses_another_shape(self):
        handle_first = THREE.replace("FfiConverterTypeCardInput", "FfiConverterTypeVault")
        two_on_a_line = THREE.replace("`card`),\n        ", "`card`), ")
        for source in (
            HANDLE + ONE,  # nothing to patch
            ONE + THREE,  # no object converter found
            HANDLE + handle_first,
            HANDLE + two_on_a_line,
        ):
            with mock.patch.object(sys, "exit", side_effect=SystemExit) as exit_, self.assertRaises(SystemExit):
                rub.patch(source)
            exit_.assert_called_once()


if __name__ == "__main__":
    unittest.main()
