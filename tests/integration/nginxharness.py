"""Run a real nginx on loopback with certificates from a test CA, for
senderkit's HTTPS and HSTS tests.

    with NginxHTTPS(sites) as ng:
        ng.https_port, ng.http_port, ng.ca_file

A test CA is made per instance with Debian's python3-cryptography (run by
/usr/bin/python3).  Each site is a dict:

    {"name": "go.good.example",      # server_name and SNI
     "cert": "valid" | "expired" | "soon" | "wrong" | "self",
     "hsts": "max-age=...; ..." or None,
     "http": "redirect" | "serve"}

"valid": CA-signed for the name, a year long; "expired": ended 10 days
ago; "soon": ends in 9 days and some hours; "wrong": CA-signed for
other.invalid; "self": self-signed for the name.  nginx runs in the
foreground (daemon off) as a child process with everything (config, pid,
logs, temp dirs) in a private temporary directory, listening on
127.0.0.1 only, and is stopped by its pid (SIGTERM, then SIGKILL).
"""

import datetime
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NGINX_BIN = "/usr/sbin/nginx"
LOOPBACK = "127.0.0.1"


def nginx_available():
    return os.access(NGINX_BIN, os.X_OK)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((LOOPBACK, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(k):
    return k.private_bytes(serialization.Encoding.PEM,
                           serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())


class TestCA:
    def __init__(self, now=None):
        self.now = now or datetime.datetime.now(datetime.timezone.utc)
        self.key = _key()
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name("senderkit test CA"))
            .issuer_name(_name("senderkit test CA"))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - datetime.timedelta(days=30))
            .not_valid_after(self.now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0),
                           critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False), critical=True)
            .sign(self.key, hashes.SHA256()))

    def pem(self):
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, name, kind):
        """(cert PEM, key PEM) for a site of the given kind."""
        key = _key()
        dns = name
        start = self.now - datetime.timedelta(days=1)
        end = self.now + datetime.timedelta(days=365)
        issuer_name, signer = self.cert.subject, self.key
        if kind == "expired":
            start = self.now - datetime.timedelta(days=100)
            end = self.now - datetime.timedelta(days=10)
        elif kind == "soon":
            end = self.now + datetime.timedelta(days=9, hours=12)
        elif kind == "wrong":
            dns = "other.invalid"
        elif kind == "self":
            issuer_name, signer = _name(name), key
        elif kind != "valid":
            raise ValueError(kind)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(dns))
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage(
                [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(signer, hashes.SHA256()))
        return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)


class NginxHTTPS:
    def __init__(self, sites):
        self.sites = sites
        self.dir = None
        self.proc = None
        self.https_port = None
        self.http_port = None
        self.ca_file = None

    def _write(self, rel, data):
        path = os.path.join(self.dir, rel)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path

    def _config(self):
        ca = TestCA()
        self.ca_file = self._write("ca.pem", ca.pem())
        blocks = []
        # Unknown SNI names get a closed door, not another site's cert.
        first = True
        for s in self.sites:
            crt, key = ca.issue(s["name"], s["cert"])
            cpath = self._write(s["name"] + ".crt", crt)
            kpath = self._write(s["name"] + ".key", key)
            hsts = ""
            if s.get("hsts"):
                hsts = ('        add_header Strict-Transport-Security '
                        '"%s" always;\n' % s["hsts"])
            blocks.append(
                "    server {\n"
                "        listen %s:%d ssl%s;\n"
                "        server_name %s;\n"
                "        ssl_certificate %s;\n"
                "        ssl_certificate_key %s;\n"
                "%s"
                "        location / { return 200 \"ok %s\\n\"; }\n"
                "    }\n" % (LOOPBACK, self.https_port,
                            " default_server" if first else "", s["name"],
                            cpath, kpath, hsts, s["name"]))
            first = False
            if s.get("http") == "redirect":
                body = "return 301 https://$host$request_uri;"
            else:
                body = "return 200 \"plain %s\\n\";" % s["name"]
            blocks.append(
                "    server {\n"
                "        listen %s:%d;\n"
                "        server_name %s;\n"
                "        location / { %s }\n"
                "    }\n" % (LOOPBACK, self.http_port, s["name"], body))
        d = self.dir
        return (
            "worker_processes 1;\n"
            "pid %s/nginx.pid;\n"
            "error_log %s/error.log warn;\n"
            "events { worker_connections 64; }\n"
            "http {\n"
            "    access_log off;\n"
            "    client_body_temp_path %s/tmp_body;\n"
            "    proxy_temp_path %s/tmp_proxy;\n"
            "    fastcgi_temp_path %s/tmp_fcgi;\n"
            "    uwsgi_temp_path %s/tmp_uwsgi;\n"
            "    scgi_temp_path %s/tmp_scgi;\n"
            "    default_type text/plain;\n"
            "%s"
            "}\n" % (d, d, d, d, d, d, d, "".join(blocks)))

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="sk-nginx-")
        os.chmod(self.dir, 0o755)
        last = ""
        for _ in range(5):
            self.https_port = free_port()
            self.http_port = free_port()
            conf = self._write("nginx.conf", self._config())
            self.proc = subprocess.Popen(
                [NGINX_BIN, "-p", self.dir, "-c", conf, "-g",
                 "daemon off;"], stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
            if self._wait_ready():
                return self
            self.stop(keep_dir=True)
            try:
                with open(os.path.join(self.dir, "error.log")) as f:
                    last = f.read()
            except OSError:
                pass
        raise RuntimeError("nginx did not start:\n" + last)

    def _wait_ready(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            ok = 0
            for port in (self.https_port, self.http_port):
                try:
                    with socket.create_connection((LOOPBACK, port), 0.2):
                        ok += 1
                except OSError:
                    pass
            if ok == 2:
                return True
            time.sleep(0.05)
        return False

    def connect_to(self):
        """--connect-to mappings sending every host to this nginx."""
        return [":443:%s:%d" % (LOOPBACK, self.https_port),
                ":80:%s:%d" % (LOOPBACK, self.http_port)]

    def stop(self, keep_dir=False):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            if self.proc.stderr is not None:
                self.proc.stderr.close()
            self.proc = None
        if self.dir and not keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
