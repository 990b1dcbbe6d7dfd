// danlu's executable: the command line of cli/cli.h.
#include "cli/cli.h"

int main(int argc, char** argv) { return danlu::run_cli(argc, argv); }
