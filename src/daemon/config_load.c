/* SPDX-License-Identifier: MIT */
/*
 * config_load.c - defaults, then the file, then the command line; the
 * problems of a file as FILE:LINE lines (unbound-checkconf and nginx -t
 * are the models); the same load again on SIGHUP.
 *
 * The file's values go through exactly the code the flags go through
 * (config_option_apply): its error messages reach us through the cli
 * library's sink, and we put FILE:LINE in front of them.
 */
#include "config_load.h"
#include "config_ini.h"
#include "rfc5780.h"
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Problems found while loading: each one line; the first kept. */
struct problems {
	const char *path;	/* NULL: no file, errors go to stderr as usual */
	unsigned int line;	/* of the key being applied; 0: the file as a whole */
	unsigned int n;
	char first[600];
	FILE *print;		/* --check-config: every line, as it is found */
};

static void problem(struct problems *p, unsigned int line, const char *msg)
{
	char text[sizeof(p->first)];

	/* A key is spelt without the dashes its flag has. */
	if (!strncmp(msg, "--", 2))
		msg += 2;
	if (line)
		snprintf(text, sizeof(text), "%s:%u: %s", p->path, line, msg);
	else
		snprintf(text, sizeof(text), "%s: %s", p->path, msg);
	if (!p->n++)
		memcpy(p->first, text, sizeof(text));
	if (p->print)
		fprintf(p->print, "%s\n", text);
}

static void sink(void *user, const char *msg)
{
	struct problems *p = user;

	problem(p, p->line, msg);
}

struct loading {
	struct daemon_config *cfg;
	struct problems *pr;
	unsigned int seen_line[512];	/* by option id: where it was set */
};

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(v, yes[i]))
			return *out = true, 0;
		if (!strcasecmp(v, no[i]))
			return *out = false, 0;
	}
	return -1;
}

static int on_entry(void *user, unsigned int line, const char *key, const char *value)
{
	struct loading *l = user;
	struct config_option o;
	char msg[300];
	bool on;

	if (config_option_find(key, &o) || (o.flags & CONFIG_OPT_CMDLINE_ONLY)) {
		snprintf(msg, sizeof(msg), "unknown key '%.64s'", key);
		problem(l->pr, line, msg);
		return 0;
	}
	unsigned int *seen = &l->seen_line[(unsigned int)o.id % 512];
	if (*seen && !(o.flags & CONFIG_OPT_LIST)) {
		snprintf(msg, sizeof(msg), "'%s' given twice (first on line %u); only "
			 "listen, tcp-listen, tls-listen, alt-ip, advertise-ip, advertise-alt-ip, "
			 "allow and deny may repeat",
			 o.name, *seen);
		problem(l->pr, line, msg);
		return 0;
	}
	*seen = line;
	l->pr->line = line;
	if (!(o.flags & CONFIG_OPT_FLAG)) {
		config_option_apply(l->cfg, o.id, value);
	} else if (parse_bool(value, &on)) {
		snprintf(msg, sizeof(msg), "%s '%.64s': expected yes or no", o.name, value);
		problem(l->pr, line, msg);
	} else if (on) {
		config_option_apply(l->cfg, o.id, NULL);
	}
	l->pr->line = 0;
	return 0;
}

static void on_problem(void *user, unsigned int line, const char *msg)
{
	struct loading *l = user;

	problem(l->pr, line, msg);
}

static struct config_cmdline cmdline;	/* kept for SIGHUP */
static const char *path;		/* NULL: no file */

/* Defaults, file (pr->path; read from in when in is not NULL), command
 * line cl, then the checks across options.  Command line problems print
 * as they always did; the rest land in pr. */
static int build(struct daemon_config *cfg, struct problems *pr,
		 const struct config_cmdline *cl, FILE *in)
{
	static const struct config_ini_ops ops = { on_entry, on_problem };
	static struct loading l;
	bool touched[512] = { false };
	int rc;

	memset(&l, 0, sizeof(l));
	l.cfg = cfg;
	l.pr = pr;
	config_defaults(cfg);
	if (pr->path) {
		cli_set_sink(sink, pr);
		rc = in ? config_ini_read_stream(in, &ops, &l)
			: config_ini_read(pr->path, &ops, &l);
		cli_set_sink(NULL, NULL);
		if (rc < 0) {
			char msg[200];
			snprintf(msg, sizeof(msg), "cannot read: %s", strerror(-rc));
			problem(pr, 0, msg);
		}
	}
	for (unsigned int i = 0; i < cl->n; i++) {
		int id = cl->opt[i].id;
		if (!touched[(unsigned int)id % 512]) {
			touched[(unsigned int)id % 512] = true;
			config_option_reset(cfg, id);
		}
		if ((rc = config_option_apply(cfg, id, cl->opt[i].arg)) >= 0)
			return rc;
	}
	/* Problems that involve several options belong to the file as a
	 * whole when there is one. */
	if (pr->n)	/* what follows would only echo those problems */
		return EXIT_USAGE;
	if (pr->path)
		cli_set_sink(sink, pr);
	rc = config_finish(cfg);
	if (rc < 0)
		rc = rfc5780_configure(cfg);
	cli_set_sink(NULL, NULL);
	if (!pr->path && rc >= 0)
		return rc;
	return pr->n ? EXIT_USAGE : -1;
}

int config_check_stream(struct daemon_config *cfg, const char *name, FILE *in,
			FILE *out)
{
	static const struct config_cmdline none;
	struct problems pr = { .path = name, .print = out };

	return build(cfg, &pr, &none, in);
}

const char *config_load_path(void)
{
	return path;
}

int config_load(struct daemon_config *cfg, int argc, char **argv)
{
	struct problems pr = { 0 };
	int rc = config_cmdline(argc, argv, &cmdline);

	if (rc >= 0)
		return rc;
	path = cmdline.config_path;
	if (!path && access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		path = CONFIG_DEFAULT_PATH;
	if (cmdline.check_only && !path)
		return cli_usage_error("--check-config: no configuration file (%s does not "
				       "exist; name one with --config FILE)",
				       CONFIG_DEFAULT_PATH);
	pr.path = path;
	pr.print = cmdline.check_only ? stderr : NULL;
	rc = build(cfg, &pr, &cmdline, NULL);
	if (cmdline.check_only) {
		if (rc >= 0)
			return EXIT_USAGE;
		printf("%s: ok\n", path);
		return 0;
	}
	if (rc >= 0 && pr.n) {
		if (pr.n > 1)
			fprintf(stderr, "%s (and %u more: stunringd --check-config --config %s)\n",
				pr.first, pr.n - 1, path);
		else
			fprintf(stderr, "%s\n", pr.first);
	}
	return rc;
}

int config_reload(struct daemon_config *fresh, char *err, size_t errlen)
{
	struct problems pr = { .path = path };

	if (!path) {
		snprintf(err, errlen, "no configuration file to re-read (%s does not exist "
			 "and no --config was given)", CONFIG_DEFAULT_PATH);
		return -1;
	}
	if (build(fresh, &pr, &cmdline, NULL) < 0)
		return 0;
	if (pr.n > 1)
		snprintf(err, errlen, "%s (and %u more)", pr.first, pr.n - 1);
	else
		snprintf(err, errlen, "%s", pr.n ? pr.first : "the command line no longer "
			 "fits the file");
	return -1;
}
