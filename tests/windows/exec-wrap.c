/* Runs Debian trixie's rustc (or rustdoc) in place on an older Debian: through trixie's
 * own dynamic loader and libraries, for this one process only. The linker, build scripts
 * and the programs it starts keep the system's glibc.
 *
 * A compiled program, not a shell script: dash and bash drop environment variables whose
 * names hold a '-' (cargo's CARGO_BIN_EXE_desktop-core-crash-helper), and `env!()` in the
 * integration tests would then fail to compile. WIN_LIBS, WIN_PREFIX and TOOL are set by
 * tests/windows/toolchain.sh when it compiles this file. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    char **args = calloc((size_t)argc + 4, sizeof *args);
    if (args == NULL) {
        perror("calloc");
        return 127;
    }
    args[0] = WIN_LIBS "/ld-linux-x86-64.so.2";
    args[1] = "--library-path";
    args[2] = WIN_PREFIX "/usr/lib/x86_64-linux-gnu:" WIN_LIBS;
    args[3] = WIN_PREFIX "/usr/bin/" TOOL;
    for (int i = 1; i < argc; i++) args[i + 3] = argv[i];
    execv(args[0], args);
    perror("execv " WIN_LIBS "/ld-linux-x86-64.so.2");
    return 127;
}
