/*
 * lib/https/tls.c - the TLS probe of one host (OpenSSL 3).
 *
 *   RFC 6066 section 3   server_name (SNI) sent with the host name;
 *   RFC 5280 section 6   chain validation against the CA store, done a
 *                        second time with the time check off so that an
 *                        expired certificate is reported as expired and
 *                        not as untrusted (one problem, one finding);
 *   RFC 6125 section 6   the names: X509_check_host (SAN dNSName, CN only
 *                        without SANs, wildcards in the left label only);
 *   RFC 5280 4.1.2.5     notBefore/notAfter, days until expiry.
 *
 * The handshake itself never fails on verification (SSL_VERIFY_NONE): the
 * certificate is read and judged afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "https/https_internal.h"

void
sk__https_addr_str(const struct hx_addr *a, char *out, size_t outsz)
{
	if (strchr(a->ip, ':') != NULL)
		snprintf(out, outsz, "[%s]:%u", a->ip, a->port);
	else
		snprintf(out, outsz, "%s:%u", a->ip, a->port);
}

/* A TCP connection within timeout_ms; -1 with *why set otherwise. */
static int
tcp_connect(const struct hx_addr *a, unsigned timeout_ms, const char **why)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct pollfd pfd;
	struct timeval tv;
	socklen_t slen;
	int fd, fl, e = 0;
	socklen_t elen = sizeof(e);

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, a->ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)a->port);
		slen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, a->ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)a->port);
		slen = sizeof(*s6);
	} else {
		*why = "not an IP address";
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		goto fail;
	if (connect(fd, (struct sockaddr *)&ss, slen) != 0) {
		int pr;

		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do {
			pr = poll(&pfd, 1, (int)timeout_ms);
		} while (pr < 0 && errno == EINTR);
		if (pr == 0) {
			*why = "connection timed out";
			close(fd);
			return -1;
		}
		if (pr < 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0)
			goto fail;
		if (e != 0) {
			errno = e;
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, fl) < 0)
		goto fail;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
		goto fail;
	return fd;
fail:
	*why = strerror(errno);
	close(fd);
	return -1;
}

/* One line of an X509 name. */
static const char *
name_line(struct sk_https_report *rep, const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char buf[HX_TEXT_MAX];
	int len;

	if (b == NULL) {
		rep->st = SK_ENOMEM;
		return "";
	}
	X509_NAME_print_ex(b, n, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
	len = BIO_read(b, buf, sizeof(buf) - 1);
	BIO_free(b);
	if (len < 0)
		len = 0;
	buf[len] = '\0';
	return sk__https_dup(rep, buf);
}

/* The dNSName SANs, comma-separated. */
static const char *
san_names(struct sk_https_report *rep, X509 *cert)
{
	GENERAL_NAMES *gens;
	struct sk_buf b;
	const char *s;

	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL)
		return "";
	sk__buf_init(&b, HX_TEXT_MAX);
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		int len;

		if (g->type != GEN_DNS)
			continue;
		d = ASN1_STRING_get0_data(g->d.dNSName);
		len = ASN1_STRING_length(g->d.dNSName);
		if (len <= 0 || memchr(d, '\0', (size_t)len) != NULL)
			continue;
		if (b.len > 0 && sk__buf_adds(&b, ", ") != SK_OK)
			break;
		if (sk__buf_add(&b, d, (size_t)len) != SK_OK)
			break;
	}
	GENERAL_NAMES_free(gens);
	s = sk__https_dup(rep, b.p != NULL ? b.p : "");
	sk__buf_free(&b);
	return s;
}

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* Chain validation without the time check: what remains is trust. */
static long
verify_chain(SSL_CTX *ctx, SSL *ssl, X509 *leaf)
{
	X509_STORE_CTX *sctx = X509_STORE_CTX_new();
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	long code = X509_V_ERR_UNSPECIFIED;

	if (sctx == NULL)
		return code;
	if (X509_STORE_CTX_init(sctx, SSL_CTX_get_cert_store(ctx), leaf,
				chain) == 1) {
		X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(sctx);

		X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_NO_CHECK_TIME);
		X509_STORE_CTX_set_purpose(sctx, X509_PURPOSE_SSL_SERVER);
		if (X509_verify_cert(sctx) == 1)
			code = X509_V_OK;
		else
			code = X509_STORE_CTX_get_error(sctx);
	}
	X509_STORE_CTX_free(sctx);
	return code;
}

static void
ssl_why(struct sk_https_report *rep, struct sk_https_probe *pr, SSL *ssl,
	int ret)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		pr->tls_error = sk__https_printf(rep, "TLS handshake failed: "
						 "%s", buf);
	} else if (SSL_get_error(ssl, ret) == SSL_ERROR_SYSCALL) {
		pr->tls_error = sk__https_printf(rep, "TLS handshake failed: "
						 "%s", errno == EAGAIN ||
						 errno == EWOULDBLOCK ?
						 "timed out" :
						 errno != 0 ? strerror(errno) :
						 "connection closed");
	} else {
		pr->tls_error = "TLS handshake failed";
	}
}

void
sk__https_tls(struct sk_https_report *rep, struct sk_https_probe *pr,
	      const char *host, const struct hx_addr *a,
	      const struct sk_https_opts *o, time_t now)
{
	char astr[96];
	const char *why = "";
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	X509 *leaf = NULL;
	int fd, ret;

	sk__https_addr_str(a, astr, sizeof(astr));
	pr->address = sk__https_dup(rep, astr);
	pr->probed = true;
	fd = tcp_connect(a, o->timeout_ms, &why);
	if (fd < 0) {
		pr->tls_error = sk__https_printf(rep, "cannot connect to %s: "
						 "%s", astr, why);
		return;
	}
	pr->tcp = true;
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		rep->st = SK_ENOMEM;
		goto out;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (o->ca_file != NULL || o->ca_dir != NULL)
		ret = SSL_CTX_load_verify_locations(ctx, o->ca_file,
						    o->ca_dir);
	else
		ret = SSL_CTX_set_default_verify_paths(ctx);
	if (ret != 1) {
		/* The caller checked the files exist; an unusable bundle is
		 * an untrusted chain. */
		ERR_clear_error();
	}
	ssl = SSL_new(ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_set_tlsext_host_name(ssl, host) != 1) {
		rep->st = SK_ENOMEM;
		goto out;
	}
	errno = 0;
	ret = SSL_connect(ssl);
	if (ret != 1) {
		ssl_why(rep, pr, ssl, ret);
		goto out;
	}
	leaf = SSL_get1_peer_certificate(ssl);
	if (leaf == NULL) {
		pr->tls_error = "the server sent no certificate";
		goto out;
	}
	pr->tls = true;
	pr->verify_code = verify_chain(ctx, ssl, leaf);
	pr->trusted = pr->verify_code == X509_V_OK;
	pr->verify_error = sk__https_dup(rep,
		X509_verify_cert_error_string(pr->verify_code));
	pr->self_signed = X509_check_issued(leaf, leaf) == X509_V_OK;
	pr->name_ok = X509_check_host(leaf, host, strlen(host), 0, NULL) == 1;
	pr->subject = name_line(rep, X509_get_subject_name(leaf));
	pr->issuer = name_line(rep, X509_get_issuer_name(leaf));
	pr->names = san_names(rep, leaf);
	pr->not_before = asn1_time(X509_get0_notBefore(leaf));
	pr->not_after = asn1_time(X509_get0_notAfter(leaf));
	/* Whole days, rounded down: 9.5 days left is 9; expired an hour
	 * ago is -1. */
	if (pr->not_after >= now)
		pr->days_left = (long)((pr->not_after - now) / 86400);
	else
		pr->days_left = -(long)((now - pr->not_after + 86399) / 86400);
	pr->expired = pr->not_after < now;
	SSL_shutdown(ssl);
out:
	X509_free(leaf);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	close(fd);
}
