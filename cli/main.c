/*
 * main.c - the tensorport command: library version check, global options
 * (--help, --version, -q, -v, --color) and dispatch to the subcommands.
 *
 * Global options may come before the command; every command also accepts
 * -h/--help, -q, -v and --color itself. "tensorport help CMD" is an alias
 * of "tensorport CMD --help".
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

cli_globals g_cli = {1, CLI_COLOR_AUTO, NULL, NULL};

#define MAIN_USAGE "tensorport [--help] [--version] COMMAND [ARGS]"

const char cli_help_main[] =
    "Usage: tensorport [GLOBAL OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "Convert and inspect ML model weight files; a model is {inputs}.\n"
    "\n"
    "Commands:\n"
    "  inspect PATH     show the format, metadata and tensors of a model\n"
    "  convert IN OUT   convert a model to another format or element type\n"
    "  diff A B         compare the tensors of two models\n"
    "  meta PATH        show or edit the metadata of a model in place\n"
    "  help [COMMAND]   show the help of a command\n"
    "\n"
    "Global options (also accepted after the command):\n"
    "  -h, --help         show this help and exit\n"
    "      --version      show the tool and library versions and exit\n"
    "  -q, --quiet        print errors only\n"
    "  -v, --verbose      print more detail\n"
    "      --color=WHEN   colour the error and warning labels on stderr:\n"
    "                     auto (default), always, never\n"
    "\n"
    "Exit status:\n"
    "  0       success; diff: the models are identical\n"
    "  1       diff: differences found; convert --verify: mismatch\n"
    "  2       invalid or unsupported input, or input not found\n"
    "  3       I/O error (read, write, sync, rename), input changed\n"
    "  4       resource limit exceeded or out of memory\n"
    "  5       output exists and --force was not given\n"
    "  64      usage error\n"
    "  70      incompatible library version or internal error\n"
    "  128+N   interrupted by signal N (130 SIGINT, 143 SIGTERM);\n"
    "          temporary files are removed\n"
    "\n"
    "Environment:\n"
    "  NO_COLOR   if set and not empty, no colours (unless --color=always)\n"
    "  COLUMNS    width of the progress bar line\n"
    "\n"
    "Run 'tensorport COMMAND --help' for the options of a command.\n";

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *help;
} command;

static const command commands[] = {
    {"inspect", cmd_inspect, cli_help_inspect},
    {"convert", cmd_convert, cli_help_convert},
    {"diff", cmd_diff, cli_help_diff},
    {"meta", cmd_meta, cli_help_meta},
};

static const command *find_command(const char *name) {
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(commands[i].name, name))
      return &commands[i];
  return NULL;
}

static int print_help(const char *text) {
  cli_print_help(stdout, text);
  return cli_finish_stdout(CLI_EXIT_OK);
}

static const char *build_kind(void) {
  /* Sanitizers change timing and memory use a lot: say so in bug reports. */
#if defined(__SANITIZE_ADDRESS__)
#  ifdef NDEBUG
  return "release+asan";
#  else
  return "debug+asan";
#  endif
#else
#  ifdef NDEBUG
  return "release";
#  else
  return "debug";
#  endif
#endif
}

static int print_version(void) {
  printf("tensorport %s\n", TP_VERSION_STRING);
  printf("library: libtensorport %s (built against %s)\n", tp_version(),
         TP_VERSION_STRING);
  printf("features: %s\n", tp_build_features());
  printf("build: %s\n", build_kind());
  return cli_finish_stdout(CLI_EXIT_OK);
}

static int cmd_help(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "help"))
    return print_help(cli_help_main);
  const command *c = find_command(argv[1]);
  if (!c)
    return cli_usage_error("unknown command '%s' (inspect, convert, diff, "
                           "meta)",
                           argv[1]);
  if (argc > 2)
    return cli_usage_error("too many arguments for help");
  return print_help(c->help);
}

int main(int argc, char **argv) {
  cli_output_init();

  /* A different major version has a different ABI: refuse rather than
   * misbehave (zstd does the same). */
  if (tp_version_number() / 10000 != TP_VERSION_MAJOR) {
    cli_error("library version %s is incompatible with this program (built "
              "against %s)",
              tp_version(), TP_VERSION_STRING);
    return CLI_EXIT_SOFTWARE;
  }

  static const cli_opt global_opts[] = {
      {"version", 0, 0, CLI_OPT_FIRST_CMD},
  };
  cli_parser p;
  cli_parser_init(&p, NULL, MAIN_USAGE, global_opts,
                  sizeof global_opts / sizeof global_opts[0], argc, argv);

  /* Global options up to the command name; the command parses the rest. */
  for (;;) {
    int id;
    const char *val;
    int r = cli_next(&p, &id, &val);
    if (r == CLI_ARG_ERROR)
      return CLI_EXIT_USAGE;
    if (r == CLI_ARG_END)
      return cli_usage_error("no command given");
    if (r == CLI_ARG_POSITIONAL) {
      if (!strcmp(val, "help"))
        return cmd_help(argc - (p.i - 1), argv + (p.i - 1));
      const command *c = find_command(val);
      if (!c)
        return cli_usage_error("unknown command '%s' (inspect, convert, "
                               "diff, meta)",
                               val);
      return c->run(argc - (p.i - 1), argv + (p.i - 1));
    }
    if (id == CLI_OPT_FIRST_CMD)
      return print_version();
    int h = cli_common_option(&p, id, val);
    if (h == 1)
      return print_help(cli_help_main);
    if (h < 0)
      return CLI_EXIT_USAGE;
  }
}
