/*
 * cli_dns.c: `posthorn dns DOMAIN` prints, as zone file lines, every DNS
 * record an administrator publishes for a domain served by this host: MX,
 * the A/AAAA of the hostname, SPF, DKIM (the keys in data_dir/dkim), DMARC,
 * the SRV records of RFC 6186 for mail client auto-configuration, and a
 * note on reverse DNS (PTR).
 *
 * Addresses come from the optional public_ip key ("IPv4[, IPv6]"); without
 * it a placeholder is printed. It deliberately does not query DNS or any
 * web service to discover the address or check what is published.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

#define DNS_USAGE	"dns DOMAIN"

/* RFC 6186 section 3: the services and their listener kinds. */
static const struct {
	const char	*service;
	enum listen_kind kind;
} dns_srv[] = {
	{ "_submission._tcp",	LISTEN_SUBMISSION },
	{ "_submissions._tcp",	LISTEN_SUBMISSIONS },	/* RFC 8314 */
	{ "_imap._tcp",		LISTEN_IMAP },
	{ "_imaps._tcp",	LISTEN_IMAPS },
	{ "_pop3._tcp",		LISTEN_POP3 },
	{ "_pop3s._tcp",	LISTEN_POP3S },
};

/* The port of a listen address ("0.0.0.0:587", "[::]:993"), or 0. */
static unsigned
dns_listen_port(const char *addr)
{
	const char *colon = strrchr(addr, ':');
	uint64_t port;

	if (colon == NULL || parse_uint(colon + 1, 1, 65535, &port) == -1)
		return 0;
	return (unsigned)port;
}

/* A and AAAA of the hostname from public_ip, or placeholders. */
static int
dns_print_addresses(const struct cli *cli, const char *host)
{
	char copy[CONFIG_HOST_MAX], *p, *save = NULL;
	unsigned char bin[16];
	int v4 = 0, v6 = 0;

	(void)str_copy(copy, cli->cfg.public_ip, sizeof(copy));
	for (p = strtok_r(copy, ", \t", &save); p != NULL;
	    p = strtok_r(NULL, ", \t", &save)) {
		if (inet_pton(AF_INET, p, bin) == 1) {
			printf("%s. A %s\n", host, p);
			v4++;
		} else if (inet_pton(AF_INET6, p, bin) == 1) {
			printf("%s. AAAA %s\n", host, p);
			v6++;
		} else {
			cli_error("public_ip: \"%s\" is not an IPv4 or IPv6 "
			    "address", p);
			return -1;
		}
	}
	if (v4 == 0)
		printf("%s. A PUBLIC-IPV4-ADDRESS  ; set public_ip in the "
		    "config\n", host);
	if (v6 == 0)
		printf("; %s. AAAA PUBLIC-IPV6-ADDRESS  ; if the server has "
		    "IPv6\n", host);
	return 0;
}

static void
dns_print_srv(const struct cli *cli, const char *domain, const char *host)
{
	unsigned port;
	size_t i;

	printf("\n; Mail client auto-configuration (RFC 6186); \"0 0 0 .\" "
	    "means not offered.\n");
	for (i = 0; i < sizeof(dns_srv) / sizeof(dns_srv[0]); i++) {
		port = cli->cfg.listen_count[dns_srv[i].kind] > 0 ?
		    dns_listen_port(cli->cfg.listen[dns_srv[i].kind][0]) : 0;
		if (port != 0)
			printf("%s.%s. SRV 0 1 %u %s.\n", dns_srv[i].service,
			    domain, port, host);
		else
			printf("%s.%s. SRV 0 0 0 .\n", dns_srv[i].service,
			    domain);
	}
}

static int
dns_print(struct cli *cli, const char *domain)
{
	const char *host = cli->cfg.hostname;
	char name[CONFIG_HOST_MAX + 16], value[CONFIG_HOST_MAX + 64];
	int n;

	printf("; DNS records for %s, served by %s. Publish them at your DNS "
	    "provider.\n\n", domain, host);
	printf("; Mail for %s is delivered to this server.\n", domain);
	printf("%s. MX 10 %s.\n", domain, host);
	if (dns_print_addresses(cli, host) == -1)
		return CLI_EXIT_ERROR;

	printf("\n; SPF: only the domain's MX hosts send its mail. Use \"~all\" "
	    "while\n; another provider still sends for %s.\n", domain);
	(void)str_format(name, sizeof(name), "%s.", domain);
	cli_print_txt(name, "v=spf1 mx -all");

	printf("\n; DKIM: the public keys of the signing keys in %s/dkim.\n",
	    cli->cfg.data_dir);
	if ((n = cli_dkim_print_records(cli, domain)) == -1)
		return CLI_EXIT_ERROR;
	if (n == 0)
		printf("; No DKIM key for %s yet: run `posthorn dkim generate "
		    "%s`.\n", domain, domain);

	printf("\n; DMARC: receivers quarantine mail failing SPF and DKIM and "
	    "report to\n; postmaster (start with p=none to observe first).\n");
	(void)str_format(name, sizeof(name), "_dmarc.%s.", domain);
	(void)str_format(value, sizeof(value),
	    "v=DMARC1; p=quarantine; rua=mailto:postmaster@%s", domain);
	cli_print_txt(name, value);

	dns_print_srv(cli, domain, host);

	printf("\n; Reverse DNS: at your hosting provider, set the PTR record "
	    "of each\n; public address above to %s.\n", host);
	return CLI_EXIT_OK;
}

int
cli_dns(struct cli *cli, int argc, char **argv)
{
	char domain[CONFIG_HOST_MAX];

	if (argc != 2)
		return cli_usage(DNS_USAGE);
	if (cli_check_domain(argv[1]) == -1)
		return CLI_EXIT_ERROR;
	if (str_copy(domain, argv[1], sizeof(domain)) >= sizeof(domain)) {
		cli_error("domain name too long");
		return CLI_EXIT_ERROR;
	}
	str_lower(domain);
	/* Root may not read the 0600 keys of another user on some setups. */
	if (cli_load_config(cli) == -1 || cli_drop_privileges(cli) == -1)
		return CLI_EXIT_ERROR;
	if (cli->cfg.hostname[0] == '\0') {
		cli_error("hostname is not set in %s", cli->config_path);
		return CLI_EXIT_ERROR;
	}
	return dns_print(cli, domain);
}
