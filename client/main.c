/*
 * client HOST PORT [COMMAND [ARG ...]]: the file server's client, as one
 * command, a batch, or an interactive shell (interface.md, "client").
 */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "remote.h"
#include "shell.h"
#include "signals.h"
#include "text.h"
#include "tls_client.h"

int
main(int argc, char *argv[])
{
	struct client_config cfg;
	struct client c;
	FILE *batch = NULL;
	int status;

	/* Names are shown, typed and completed in the user's character set
	 * (interface.md, "Names"): as text in a UTF-8 locale only. */
	setlocale(LC_CTYPE, "");
	args_parse(&cfg, argc, argv);
	if ((status = tls_client_init(&cfg)) != 0)
		return status;
	if (strcmp(nl_langinfo(CODESET), "UTF-8") == 0)
		cfg.text_flags = TEXT_UTF8;
	/* A command-line command is checked before connecting: usage. */
	if (cfg.cmd != NULL && command_check(cfg.ncmd, cfg.cmd) == -1)
		return 2;
	if (cfg.batch != NULL && (batch = fopen(cfg.batch, "r")) == NULL) {
		fprintf(stderr, "client: %s: %s\n", cfg.batch, strerror(errno));
		return 2;
	}
	if (sig_init() == -1) {
		fprintf(stderr, "client: sigaction: %s\n", strerror(errno));
		if (batch != NULL)
			fclose(batch);
		return 2;
	}
	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	remote_init(&c.remote, &cfg);
	progress_init(&c.progress, cfg.quiet);

	if ((status = remote_connect(&c.remote, 1)) != RC_OK) {
		fprintf(stderr, "client: %s\n", c.remote.why);
		if (batch != NULL)
			fclose(batch);
		return status;
	}
	if (cfg.cmd != NULL) {
		status = command_run(&c, cfg.ncmd, cfg.cmd);
		if (status == CMD_QUIT)
			status = RC_OK;
	} else if (batch != NULL) {
		status = shell_batch(&c, batch);
		fclose(batch);
	} else if (isatty(STDIN_FILENO))
		status = shell_interactive(&c);
	else
		status = shell_batch(&c, stdin);
	remote_disconnect(&c.remote);
	fflush(stdout);
	sig_term_finish();
	return status;
}
