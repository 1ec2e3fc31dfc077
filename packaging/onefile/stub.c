/* The first bytes of the one-file EvalStudio: a tiny ELF program, because a file manager
   runs a program on a double-click where it would open a shell script in an editor. It hands
   its own path and the arguments to the unpack script (unpack.sh, compiled in as SCRIPT by
   make_onefile.py), which unpacks the app once and runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "script.h"

int main(int argc, char **argv) {
    static char self[4096];
    ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
    if (length < 0) {
        perror("evalstudio: cannot find its own file (/proc/self/exe)");
        return 127;
    }
    self[length] = '\0';
    /* sh -c SCRIPT evalstudio SELF argv[1] ... argv[argc-1] NULL */
    char **args = calloc((size_t)argc + 5, sizeof *args);
    if (args == NULL) {
        perror("evalstudio");
        return 127;
    }
    args[0] = "sh";
    args[1] = "-c";
    args[2] = (char *)SCRIPT;
    args[3] = "evalstudio";
    args[4] = self;
    for (int i = 1; i < argc; i++) {
        args[4 + i] = argv[i];
    }
    execv("/bin/sh", args);
    perror("evalstudio: cannot start /bin/sh");
    return 127;
}
