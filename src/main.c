// SPDX-License-Identifier: MIT
/*
 * xsavectl: top-level options and exact-name command dispatch.  Each command
 * lives in its own cmd_<name>.c with its own argp; `xsavectl help CMD` is
 * `xsavectl CMD --help`.
 */
#include <argp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/layout.h>

#include "cmd.h"
#include "exitcodes.h"
#include "util.h"

static const struct xs_cmd *const commands[] = {
	&xs_cmd_inspect, &xs_cmd_check, &xs_cmd_filter, &xs_cmd_diff, &xs_cmd_extract,
	&xs_cmd_host, &xs_cmd_probe, &xs_cmd_precheck, &xs_cmd_relay,
};
#define NCMDS (sizeof(commands) / sizeof(commands[0]))

const char *argp_program_version = "xsavectl " XSAVECTL_VERSION;
const char *argp_program_bug_address = NULL;

enum { OPT_LIST_COMMANDS = 0x2000, OPT_LIST_OPTIONS, OPT_LIST_COMPONENTS, OPT_LIST_EXIT_CODES };

static const struct argp_option options[] = {
	{ "list-commands", OPT_LIST_COMMANDS, NULL, OPTION_HIDDEN, NULL, 0 },
	{ "list-components", OPT_LIST_COMPONENTS, NULL, OPTION_HIDDEN, NULL, 0 },
	{ "list-exit-codes", OPT_LIST_EXIT_CODES, NULL, OPTION_HIDDEN, NULL, 0 },
	{ 0 }
};

static const struct xs_cmd *find(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static void list_options(const struct argp *a)
{
	for (const struct argp_option *o = a->options; o && (o->name || o->key); o++)
		if (o->name && !(o->flags & OPTION_HIDDEN))
			printf("--%s\n", o->name);
	for (const struct argp_child *c = a->children; c && c->argp; c++)
		list_options(c->argp);
}

static char *help_filter(int key, const char *text, void *input)
{
	(void)input;
	if (key != ARGP_KEY_HELP_POST_DOC)
		return (char *)text;
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return (char *)text;
	fputs("Commands:\n", f);
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\n`xsavectl CMD --help` (or `xsavectl help CMD`) describes a command. Exit status:", f);
	for (unsigned i = 0; i < n_exit_codes; i++)
		fprintf(f, " %d %s%s", exit_codes[i].code, exit_codes[i].help,
			i + 1 < n_exit_codes ? "," : ".");
	fclose(f);
	return s;
}

static error_t parse(int key, char *arg, struct argp_state *state)
{
	(void)arg;
	switch (key) {
	case OPT_LIST_COMMANDS:
		for (size_t i = 0; i < NCMDS; i++)
			printf("%s\n", commands[i]->name);
		exit(EXIT_OK);
	case OPT_LIST_EXIT_CODES:	/* ranked, the worst first */
		for (unsigned i = n_exit_codes; i-- > 0;)
			printf("%d\n", exit_rank[i]);
		exit(EXIT_OK);
	case OPT_LIST_COMPONENTS:
		for (unsigned i = 0; xs_mask_word(i); i++)
			printf("%s\n", xs_mask_word(i));
		exit(EXIT_OK);
	case ARGP_KEY_ARG:
		/* The command word: remember it and stop, the rest belongs to it. */
		*(int *)state->input = state->next - 1;
		state->next = state->argc;
		return 0;
	case ARGP_KEY_NO_ARGS:
		argp_error(state, "no command given");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.args_doc = "COMMAND [ARG...]",
	.doc = "Inspect, check, filter and compare x86 XSAVE state (KVM dumps, XSAVE images) "
	       "before it is loaded on another host.\v",
	.help_filter = help_filter,
};

int main(int argc, char **argv)
{
	const struct xs_cmd *cmd;
	int first = -1;

	/* A closed stdout pipe is an error to report (exit 74), not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	argp_err_exit_status = EXIT_USAGE;
	argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &first);
	if (first < 0)
		return EXIT_USAGE;	/* argp reported it */
	if (!strcmp(argv[first], "help")) {
		if (first + 1 >= argc) {
			char *h[] = { argv[0], "--help", NULL };

			argp_parse(&argp, 2, h, 0, NULL, NULL);
			return EXIT_OK;
		}
		cmd = find(argv[first + 1]);
		if (!cmd) {
			fprintf(stderr, "xsavectl: help: unknown command '%s'\n", argv[first + 1]);
			return EXIT_USAGE;
		}
		char *h[] = { (char *)cmd->name, "--help", NULL };

		xs_cmd_name = cmd->name;
		return cmd->run(2, h);
	}
	cmd = find(argv[first]);
	if (!cmd) {
		fprintf(stderr, "xsavectl: unknown command '%s' (try 'xsavectl --help')\n",
			argv[first]);
		return EXIT_USAGE;
	}
	if (first + 1 < argc && !strcmp(argv[first + 1], "--list-options")) {
		list_options(cmd->argp);
		return EXIT_OK;
	}
	xs_cmd_name = cmd->name;
	argv[first] = xasprintf("xsavectl %s", cmd->name);
	return cmd->run(argc - first, argv + first);
}
