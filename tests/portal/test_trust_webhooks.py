"""Issue 10, finding 3: outbound webhooks reach no internal address and show no answer.

DNS is the `fake_dns` fixture of tests/conftest.py (a table, undone after each test); the receiver is a real
HTTP server on 127.0.0.1, reachable only where private networks are explicitly allowed."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from portal.events import emit
from portal.exceptions import ValidationFailed
from portal.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from portal.webhooks.services import webhook_endpoint_create
from portal.webhooks.targets import UnsafeTarget, address_allowed, check_url
from tests.conftest import FAKE_PUBLIC_ADDRESS
from tests.portal.test_trust_sandboxes import load_production, restore_production_module  # noqa: F401

BLOCKED = [
    "http://127.0.0.1/hook",
    "http://127.8.9.10:8080/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://255.255.255.255/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
    "http://[2002:7f00:1::1]/hook",  # 6to4 of 127.0.0.1
    "http://[fe80::1]/hook",
    "http://[fd00:ec2::254]/hook",
    "http://[fc00::1]/hook",
    "http://[ff02::1]/hook",
    "http://localhost/hook",
    "http://internal.test/hook",  # a name resolving to a private address
    "http://mixed.test/hook",  # one public and one private answer
]


class Receiver:
    """A real HTTP server on 127.0.0.1 answering `status` with a body that must never be kept."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None):
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "host": self.headers["Host"]})
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(b"internal-secret-answer")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def dns(fake_dns):
    fake_dns["internal.test"] = ["10.1.2.3"]
    fake_dns["mixed.test"] = [FAKE_PUBLIC_ADDRESS, "192.168.0.10"]
    return fake_dns


@pytest.mark.parametrize("url", BLOCKED)
def test_internal_addresses_are_refused(dns, url):
    with pytest.raises(UnsafeTarget):
        check_url(url)


def test_a_public_address_is_accepted(dns):
    target = check_url("https://erp.example.com:8443/hooks?x=1")
    assert (target.host, target.port, target.path, target.address) == (
        "erp.example.com", 8443, "/hooks?x=1", FAKE_PUBLIC_ADDRESS,
    )  # fmt: skip


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    import ipaddress

    assert address_allowed(ipaddress.ip_address(address))


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["http://127.0.0.1/x", "http://169.254.169.254/", "http://[::1]/", "http://10.0.0.1/"])
def test_the_page_and_the_api_refuse_internal_urls_as_field_errors(merchant_client, api, store, dns, url):
    page = merchant_client.post(reverse("webhook_list"), {"url": url, "event_types": ["order.paid"]})
    assert page.status_code == 200 and page.context["form"].errors["url"]
    response = api.post(
        "/api/v1/webhooks/endpoints/", {"url": url, "event_types": ["order.paid"]}, format="json"
    )
    assert response.status_code == 400 and "url" in response.json()["error"]["fields"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_https_only_when_required(store, merchant, settings, dns):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    with pytest.raises(ValidationFailed) as refused:
        webhook_endpoint_create(store=store, url="http://erp.example.com/h", event_types=["order.paid"], by=merchant)
    assert "url" in refused.value.fields
    webhook_endpoint_create(store=store, url="https://erp.example.com/h", event_types=["order.paid"], by=merchant)


@pytest.mark.usefixtures("restore_production_module")
def test_production_requires_https_and_refuses_private_networks(monkeypatch):
    production = load_production(monkeypatch)
    assert production.WEBHOOK_REQUIRE_HTTPS is True and production.WEBHOOK_ALLOW_PRIVATE_NETWORKS is False


def _deliver(store, capture) -> WebhookAttempt:
    with capture(execute=True):
        emit(type="order.paid", store_id=store.pk, title="新订单", data={"order_sn": "X1"})
    return WebhookAttempt.objects.get()


@pytest.mark.django_db
def test_dns_rebinding_is_refused_at_delivery(store, merchant, dns, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        # given a name that resolved to a public address when the endpoint was saved
        dns["rebind.test"] = [FAKE_PUBLIC_ADDRESS]
        webhook_endpoint_create(
            store=store, url=f"http://rebind.test:{receiver.port}/h", event_types=["order.paid"], by=merchant
        )
        # when it answers with the loopback address at delivery time
        dns["rebind.test"] = ["127.0.0.1"]
        attempt = _deliver(store, django_capture_on_commit_callbacks)
    # then nothing was sent and the attempt failed with the reason
    assert receiver.requests == []
    assert attempt.status_code is None and attempt.error
    assert WebhookDelivery.objects.get().status == "pending"


@pytest.mark.django_db
def test_delivery_connects_to_the_address_it_validated(
    store, merchant, dns, settings, django_capture_on_commit_callbacks
):
    # given private networks allowed (as the CI stage does) and a name only the checked resolver knows
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    dns["hooks.test"] = ["127.0.0.1"]
    with Receiver() as receiver:
        webhook_endpoint_create(
            store=store, url=f"http://hooks.test:{receiver.port}/in?a=1", event_types=["order.paid"], by=merchant
        )
        attempt = _deliver(store, django_capture_on_commit_callbacks)
    # then the POST went to that address with the URL's host name
    assert receiver.requests == [{"path": "/in?a=1", "host": f"hooks.test:{receiver.port}"}]
    assert attempt.status_code == 200


@pytest.mark.django_db
def test_redirects_are_not_followed_and_no_answer_is_kept_or_shown(
    merchant_client, store, merchant, dns, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    with Receiver(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}) as receiver:
        endpoint = webhook_endpoint_create(
            store=store, url=f"http://127.0.0.1:{receiver.port}/h", event_types=["order.paid"], by=merchant
        )
        attempt = _deliver(store, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 1  # the redirect was an answer, not followed
    assert attempt.status_code == 302 and WebhookDelivery.objects.get().status == "pending"
    assert "response_excerpt" not in {f.name for f in WebhookAttempt._meta.get_fields()}
    page = merchant_client.get(reverse("webhook_detail", args=[endpoint.pk])).content.decode()
    assert "302" in page and "internal-secret-answer" not in page
    api_page = merchant_client.get(f"/api/v1/webhooks/deliveries/?endpoint={endpoint.pk}")
    assert "internal-secret-answer" not in api_page.content.decode()
