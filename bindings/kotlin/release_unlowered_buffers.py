"""Makes generated Kotlin free the buffers of a call's first arguments when a later one fails.

uniffi's generated calls lower their arguments one after another, each into a buffer the
library allocates, and pass them all in the call, which frees them. A later argument that
fails to lower (a string with a lone surrogate: `CharacterCodingException`) left the earlier
ones' buffers allocated for good, neither freed nor wiped: an API key's secret before its
profile id, a card's number and CVC before its billing address.

In every call into the library with more than one lowered argument, this wraps the first in
`UniffiUnloweredBuffers.keep(...)`, the ones between in `UniffiUnloweredBuffers.next { ... }`
and the last in `UniffiUnloweredBuffers.last { ... }` (src/io/strongroom/UnloweredBuffers.kt):
a failure frees what was kept, the last lowered forgets it. Fails loudly unless the generated
file has the shape it was written against (uniffi 0.32.2): calls of one argument per line,
the last ending the call with its status, and an object handle (which is cloned, not
allocated) only as the last argument.
"""

import re
import sys

CALL = re.compile(r"(    UniffiLib\.uniffi_\w+_fn_\w+\(\n)((?:.*\n)*?)(.*_status\)\n)")
ARGUMENT = re.compile(r"^        (FfiConverter\w+)\.lower\((`\w+`)\),(_status\))?$")
HANDLE_CONVERTER = re.compile(r"^public object (FfiConverterType\w+): FfiConverter<\w+, Long> \{$", re.M)


def refuse(reason: str):
    sys.exit(f"release_unlowered_buffers: {reason}: shape changed")


def patch(source: str) -> str:
    handles = set(HANDLE_CONVERTER.findall(source))
    patched_calls = 0

    def rewrite(call: re.Match) -> str:
        nonlocal patched_calls
        lines = (call.group(2) + call.group(3)).splitlines()
        arguments = [(i, ARGUMENT.match(line)) for i, line in enumerate(lines) if ".lower(" in line]
        if any(m is None for _, m in arguments):
            refuse(f"an argument line of {call.group(1).strip()} is not one lowering")
        if len(arguments) < 2:
            return call.group(0)
        if any(m.group(1) in handles for _, m in arguments[:-1]):
            refuse(f"an object handle before the last argument of {call.group(1).strip()}")
        if arguments[-1][1].group(3) is None:
            refuse(f"the last argument of {call.group(1).strip()} does not end the call")
        for n, (i, m) in enumerate(arguments):
            lowering = f"{m.group(1)}.lower({m.group(2)})"
            if n == 0:
                lines[i] = f"        UniffiUnloweredBuffers.keep({lowering}),"
            elif n < len(arguments) - 1:
                lines[i] = f"        UniffiUnloweredBuffers.next {{ {lowering} }},"
            else:
                lines[i] = f"        UniffiUnloweredBuffers.last {{ {lowering} }},_status)"
        patched_calls += 1
        return call.group(1) + "\n".join(lines) + "\n"

    result = CALL.sub(rewrite, source)
    if patched_calls == 0 or not handles:
        refuse(f"{patched_calls} calls of several arguments, {len(handles)} object converters")
    return result


if __name__ == "__main__":
    path = sys.argv[1]
    source = open(path, encoding="utf-8").read()
    open(path, "w", encoding="utf-8").write(patch(source))
