/*
 * main.c - the tensorport command: global options and subcommand dispatch.
 */
#include <stdio.h>
#include <string.h>

#include "tensorport.h"

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--version")) {
    printf("tensorport %s\n", tp_version());
    return 0;
  }
  fprintf(stderr, "tensorport: not implemented yet\n");
  return 1;
}
