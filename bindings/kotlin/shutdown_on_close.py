"""Makes a Kotlin `Vault`'s `destroy()` (so `close()` and `use {}`) close the vault at once.

uniffi's generated `destroy()` only releases the object's handle (`close()` and uniffi's
`use {}` call it). The library keeps a vault open while any handle to it is alive, and
every `ProfileScope` taken from the vault holds one, so that a vault the host dropped (or
the garbage collector collected: its cleaner releases the handle without `destroy()`) does
not close under a scope still in use. An explicit close must still close it then, though
scopes not yet collected hold handles: this makes `Vault.destroy()` call `shutdown()`
before releasing the handle (a failure of that call, such as another thread's destroy
coming first, does not keep the handle from being released). A Vault object is the only
one of its vault (only the constructors return one), so this closes what the program
opened, nothing more. Fails loudly unless the generated file has exactly the shape
it was written against (uniffi 0.32.2).
"""

import sys

CLASS = "\nopen class Vault: Disposable, AutoCloseable, VaultInterface\n"

GENERATED = """\
    override fun destroy() {
        // Only allow a single call to this method.
"""

SHUTTING_DOWN = """\
    override fun destroy() {
        // Closes the vault for its scopes too (they hold handles), then releases this one.
        // A Vault object is the only one of its vault: only the constructors return one.
        try {
            if (!this.wasDestroyed.get()) {
                this.shutdown()
            }
        } catch (e: Exception) {
            // Destroyed meanwhile by another thread; the handle is released below either way.
        }
        // Only allow a single call to this method.
"""


def patch(source: str) -> str:
    start = source.find(CLASS)
    if start < 0 or source.find(CLASS, start + 1) >= 0:
        sys.exit("shutdown_on_close: class Vault not found exactly once")
    end = source.find("\nopen class ", start + len(CLASS))
    end = len(source) if end < 0 else end
    body = source[start:end]
    if body.count(GENERATED) != 1 or "fun `shutdown`()" not in body:
        sys.exit("shutdown_on_close: Vault.destroy() or Vault.shutdown() is not the expected shape")
    return source[:start] + body.replace(GENERATED, SHUTTING_DOWN) + source[end:]


if __name__ == "__main__":
    path = sys.argv[1]
    text = open(path, encoding="utf-8").read()
    open(path, "w", encoding="utf-8").write(patch(text))
