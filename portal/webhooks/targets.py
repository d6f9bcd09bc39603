"""Where an outbound webhook may go: https (production), a public address, checked at save and at delivery.

`check_url` parses the URL, resolves its host and refuses it when any address it resolves to is private,
loopback, link-local (169.254.169.254, the cloud metadata service), CGNAT (100.64/10), multicast, reserved or
unspecified, IPv4 or IPv6 (including ::1, IPv4-mapped ::ffff:a.b.c.d, NAT64 and 6to4/Teredo embeddings).
Delivery checks again and connects to the address it just validated (`post_pinned`), so a DNS answer that
changes between the check and the connection (DNS rebinding) cannot redirect the POST. Redirects are not
followed and no response body is read: only the status code and the timing are kept.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Beyond what `is_global` already excludes (Python 3.11): multicast is "global" to it, and the cloud metadata
# addresses are listed for clarity even where a range covers them.
EXTRA_BLOCKED = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "255.255.255.255/32",
        "::/128",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
        "fd00:ec2::254/128",
    )
]


class UnsafeTarget(ValueError):
    """The URL may not receive webhooks; the message says why (shown to the merchant)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the validated address the delivery connects to


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in ipaddress.ip_network("64:ff9b::/96") or ip in ipaddress.ip_network("::/96"):  # NAT64, IPv4-compatible
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_allowed(ip: IPAddress) -> bool:
    """A public unicast address (IPv4 inside IPv6 is judged as the IPv4 address it carries)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None and not address_allowed(inner):
            return False
    if ip.is_multicast or ip.is_unspecified or ip.is_loopback or ip.is_link_local or ip.is_private:
        return False
    if any(ip.version == n.version and ip in n for n in EXTRA_BLOCKED):
        return False
    return ip.is_global


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the host resolves to (A and AAAA). Tests replace this with a fixture."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_url(url: str) -> Target:
    """Parse, resolve and judge a webhook URL; raises UnsafeTarget."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(_("请输入有效的网址。")) from exc
    schemes = {"https"} if settings.WEBHOOK_REQUIRE_HTTPS else {"http", "https"}
    if parts.scheme not in schemes:
        raise UnsafeTarget(
            _("接收地址必须以 https:// 开头。")
            if schemes == {"https"}
            else _("请输入以 http:// 或 https:// 开头的有效网址。")
        )
    host = (parts.hostname or "").rstrip(".")
    if not host or parts.username or parts.password or any(c.isspace() or c == "\x00" for c in url):
        raise UnsafeTarget(_("请输入有效的网址。"))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve_host(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(_("无法解析接收地址的主机名。")) from exc
    if not addresses:
        raise UnsafeTarget(_("无法解析接收地址的主机名。"))
    if not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        for address in addresses:
            try:
                ip = ipaddress.ip_address(address.split("%", 1)[0])
            except ValueError as exc:
                raise UnsafeTarget(_("无法解析接收地址的主机名。")) from exc
            if not address_allowed(ip):
                raise UnsafeTarget(_("接收地址不能指向内网、本机或保留地址。"))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=parts.scheme, host=host, port=port, path=path, address=addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # certificate checked for the host


def post_pinned(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST to the validated address (Host and TLS name are the URL's host); the status code. Never follows a
    redirect (a 3xx is an answer) and never reads the response body."""
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()
