"""The test device itself checked against Espressif's own client code (rmaker_tools'
Security1/Security2, wifi_scan and wifi_prov helpers, Transport_HTTP): if espdev.py drifted
from what ESP-IDF devices do, these fail before the Rust host is blamed or praised."""

import json
import os
import subprocess
import sys

import pytest
from rmaker_tools.common.prov import wifi_prov, wifi_scan
from rmaker_tools.common.security.security1 import Security1
from rmaker_tools.common.security.security2 import Security2
from rmaker_tools.common.transport.transport_http import Transport_HTTP

POP = "pytest-pop-4412"
NETWORKS = [
    {"ssid": "HomeNet", "passphrase": "home-pass-1", "channel": 6, "rssi": -40},
    {"ssid": "Cafe", "passphrase": "", "channel": 1, "rssi": -70},
]
HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def device(request):
    sec = request.param
    env = dict(os.environ, ESPDEV_POP=POP, ESPDEV_NETWORKS=json.dumps(NETWORKS))
    p = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "espdev.py"), "--sec", str(sec)],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    addr = p.stdout.readline().split(" ", 1)[1].strip()
    yield sec, Transport_HTTP(addr)
    p.kill()
    p.wait()


def security(sec, pop):
    return Security1(pop, False) if sec == 1 else Security2(1, "wifiprov", pop, False)


def handshake(t, sec, pop):
    s = security(sec, pop)
    resp = None
    while True:
        req = s.security_session(resp)
        if req is None:
            return s
        resp = t.send_data("prov-session", req)


@pytest.mark.parametrize("device", [1, 2], indirect=True)
def test_espressif_client_provisions_the_device(device):
    sec, t = device
    ver = json.loads(t.send_data("proto-ver", "---"))
    assert ver["prov"]["sec_ver"] == sec
    assert "iot_cred" not in ver["prov"]["cap"]
    s = handshake(t, sec, POP)  # raises if the device's proof does not verify
    wifi_scan.scan_start_response(s, t.send_data("prov-scan", wifi_scan.scan_start_request(s)))
    count = wifi_scan.scan_status_response(s, t.send_data("prov-scan", wifi_scan.scan_status_request(s)))
    assert count["finished"] and count["count"] == 2
    nets = wifi_scan.scan_result_response(s, t.send_data("prov-scan", wifi_scan.scan_result_request(s, 0, 2)))
    assert [n["ssid"] for n in nets] == ["HomeNet", "Cafe"]
    assert [n["auth"] for n in nets] == ["WPA2_PSK", "Open"]
    req = wifi_prov.config_set_config_request(s, "HomeNet", "home-pass-1")
    assert wifi_prov.config_set_config_response(s, t.send_data("prov-config", req)) == 0
    req = wifi_prov.config_apply_config_request(s)
    assert wifi_prov.config_apply_config_response(s, t.send_data("prov-config", req)) == 0
    states = []
    while not states or states[-1] == "connecting":
        req = wifi_prov.config_get_status_request(s)
        states.append(wifi_prov.config_get_status_response(s, t.send_data("prov-config", req)))
        assert len(states) < 10
    assert states == ["connecting", "connected"]


@pytest.mark.parametrize("device", [1, 2], indirect=True)
def test_a_wrong_pop_fails_the_handshake(device):
    sec, t = device
    with pytest.raises(Exception):
        handshake(t, sec, "not-the-pop")


@pytest.mark.parametrize("device", [2], indirect=True)
def test_a_wrong_passphrase_is_reported_as_auth_error(device, capsys):
    sec, t = device
    s = handshake(t, sec, POP)
    req = wifi_prov.config_set_config_request(s, "HomeNet", "wrong-pass")
    assert wifi_prov.config_set_config_response(s, t.send_data("prov-config", req)) == 0
    req = wifi_prov.config_apply_config_request(s)
    assert wifi_prov.config_apply_config_response(s, t.send_data("prov-config", req)) == 0
    states = []
    while not states or states[-1] == "connecting":
        req = wifi_prov.config_get_status_request(s)
        states.append(wifi_prov.config_get_status_response(s, t.send_data("prov-config", req)))
        assert len(states) < 10
    assert states[-1] == "failed"
    assert "Failure reason: Incorrect Password" in capsys.readouterr().out
