/* SPDX-License-Identifier: MIT */
/*
 * cli_list.c - comma-separated lists (--port 3478,3479, --listen
 * 127.0.0.1,[::1]:3479), walked one item at a time so that each program
 * keeps its own checks on the items.  Commas are safe separators for
 * addresses: IPv6 with a port is written [ADDR]:PORT.
 */
#include "cli/cli.h"

#include <string.h>

void cli_items_init(struct cli_items *it, const char *list)
{
	it->next = list;
	it->item[0] = 0;
}

int cli_items_next(struct cli_items *it, const char **why)
{
	const char *s = it->next, *comma;
	size_t len;

	if (!s)
		return 0;
	comma = strchr(s, ',');
	len = comma ? (size_t)(comma - s) : strlen(s);
	it->next = comma ? comma + 1 : NULL;
	if (!len)
		return *why = "empty list item", -1;
	if (len >= sizeof(it->item))
		return *why = "list item too long", -1;
	memcpy(it->item, s, len);
	it->item[len] = 0;
	return 1;
}

int cli_parse_ports(const char *list, uint16_t *ports, unsigned int *n,
		    unsigned int max, const char **why)
{
	struct cli_items it;
	int r;

	cli_items_init(&it, list);
	while ((r = cli_items_next(&it, why)) > 0) {
		if (*n >= max)
			return *why = "too many ports", -1;
		if (cli_parse_port(it.item, &ports[*n], why))
			return -1;
		(*n)++;
	}
	return r;
}

int cli_parse_addrs(const char *list, uint16_t default_port,
		    struct stun_addr *addrs, unsigned int *n, unsigned int max,
		    const char **why)
{
	struct cli_items it;
	int r;

	cli_items_init(&it, list);
	while ((r = cli_items_next(&it, why)) > 0) {
		if (*n >= max)
			return *why = "too many addresses", -1;
		if (stun_addr_parse(&addrs[*n], it.item, default_port))
			return *why = "not an IP address with an optional port "
				      "(IPv4 as 1.2.3.4:3478, IPv6 as [::1]:3478)", -1;
		(*n)++;
	}
	return r;
}
