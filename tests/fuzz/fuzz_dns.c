/* fuzz_dns.c: (being written) */
