// jobrun-exec: starts every job for jobrun and ties each job's life to jobrun's. The whole
// program is in Sources/CJobrunExec, which jobrun also carries: without this program next to
// it, jobrun runs itself under this name (slower to fork, the same guarantees).
#include "jobrun_exec.h"

int main(int argc, char **argv) {
    return jobrun_exec_main(argc, argv);
}
