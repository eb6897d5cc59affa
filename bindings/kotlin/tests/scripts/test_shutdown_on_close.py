"""shutdown_on_close.py rewrites Vault's destroy() only, and refuses any other shape."""

import os
import sys
import unittest
from unittest import mock

KOTLIN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, KOTLIN_DIR)
import shutdown_on_close as soc  # noqa: E402

# Two generated classes as uniffi 0.32.2 writes them, cut down to what the script reads.
SCOPE = "\nopen class ProfileScope: Disposable, AutoCloseable, ProfileScopeInterface\n{\n" + soc.GENERATED + "}\n"
VAULT = soc.CLASS + "{\n" + soc.GENERATED + "    override fun `shutdown`() {}\n}\n"


class ShutdownOnCloseTest(unittest.TestCase):
    def test_rewrites_the_vaults_destroy_only(self):
        patched = soc.patch(SCOPE + VAULT)
        self.assertTrue(patched.startswith(SCOPE), "ProfileScope.destroy() is left as generated")
        self.assertIn(soc.SHUTTING_DOWN, patched)
        self.assertEqual(patched.count(soc.GENERATED), 1)

    def test_refuses_another_shape(self):
        for source in (SCOPE, SCOPE + VAULT.replace("// Only allow", "// Allow"), VAULT.replace("`shutdown`", "`stop`")):
            with mock.patch.object(sys, "exit", side_effect=SystemExit) as exit_, self.assertRaises(SystemExit):
                soc.patch(source)
            exit_.assert_called_once()


if __name__ == "__main__":
    unittest.main()
