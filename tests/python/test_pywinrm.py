"""Fidelity test: pywinrm 0.5.0 (a client we did not write) against the WinRM simulator.

Run by tests/python/run_pywinrm.sh, which starts two simulators (HTTP and HTTPS) and sets:

  SIM_ADDR          address of a healthy host (127.x.y.z)
  SIM_NAME          its name
  SIM_HTTP_PORT     port of the HTTP simulator (Basic and NTLM)
  SIM_HTTPS_PORT    port of the HTTPS simulator (Basic and NTLM), optional
  SIM_QUOTA_ADDR    address of a host with the `quota` fault, optional
  SIM_USER, SIM_PASSWORD
  SIM_SNAPSHOT      path of the healthy host's snapshot file
  SIM_COLLECTOR     path of src/collect/collector.ps1
  SIM_BOOTSTRAP     path of a file: the stdin bootstrap program, then one argument per line

Plain unittest; exits non-zero on failure.
"""

import os
import time
import unittest

import winrm
from winrm.exceptions import InvalidCredentialsError, WSManFaultError
from winrm.protocol import Protocol

ADDR = os.environ["SIM_ADDR"]
NAME = os.environ["SIM_NAME"]
HTTP_PORT = os.environ["SIM_HTTP_PORT"]
HTTPS_PORT = os.environ.get("SIM_HTTPS_PORT")
QUOTA_ADDR = os.environ.get("SIM_QUOTA_ADDR")
USER = os.environ["SIM_USER"]
PASSWORD = os.environ["SIM_PASSWORD"]
with open(os.environ["SIM_SNAPSHOT"], "rb") as f:
    SNAPSHOT = f.read()
with open(os.environ["SIM_COLLECTOR"], "rb") as f:
    COLLECTOR = f.read()
with open(os.environ["SIM_BOOTSTRAP"], encoding="utf-8") as f:
    _lines = [line for line in f.read().splitlines() if line]
    BOOT_PROGRAM, BOOT_ARGS = _lines[0], _lines[1:]

NOT_RECOGNIZED = (
    b"'frobnicate' is not recognized as an internal or external command,\r\n"
    b"operable program or batch file.\r\n"
)


def http(addr=ADDR):
    return "http://%s:%s/wsman" % (addr, HTTP_PORT)


def https(addr=ADDR):
    return "https://%s:%s/wsman" % (addr, HTTPS_PORT)


class Common:
    """Checks every transport runs; subclasses say how to connect."""

    def session(self, **kw):
        raise NotImplementedError

    def protocol(self, **kw):
        raise NotImplementedError

    def test_echo(self):
        r = self.session().run_cmd("echo", ["hello"])
        self.assertEqual((r.status_code, r.std_out, r.std_err), (0, b"hello\r\n", b""))

    def test_type_snapshot_plays_it_back(self):
        r = self.session().run_cmd("type", [r"C:\ProgramData\iis-sweep\snapshot.json"])
        self.assertEqual(r.status_code, 0)
        self.assertEqual(r.std_out, SNAPSHOT)

    def test_unknown_command_fails_like_cmd(self):
        r = self.session().run_cmd("frobnicate")
        self.assertNotEqual(r.status_code, 0)
        self.assertEqual(r.std_err, NOT_RECOGNIZED)

    def test_powershell(self):
        r = self.session().run_ps("Write-Output 'from ps'; hostname")
        self.assertEqual(r.status_code, 0)
        self.assertEqual(r.std_out, b"from ps\r\n" + NAME.encode() + b"\r\n")
        bad = self.session().run_ps("Get-Frobnicator")
        self.assertNotEqual(bad.status_code, 0)
        self.assertIn(b"The term 'Get-Frobnicator' is not recognized", bad.std_err)

    def test_collector_over_stdin(self):
        p = self.protocol()
        shell = p.open_shell()
        try:
            cmd = p.run_command(shell, BOOT_PROGRAM, BOOT_ARGS)
            half = len(COLLECTOR) // 2
            p.send_command_input(shell, cmd, COLLECTOR[:half])
            p.send_command_input(shell, cmd, COLLECTOR[half:], end=True)
            out, err, rc = p.get_command_output(shell, cmd)
            p.cleanup_command(shell, cmd)
        finally:
            p.close_shell(shell)
        self.assertEqual((rc, err), (0, b""))
        self.assertEqual(out, SNAPSHOT)

    def test_wrong_password_is_rejected(self):
        with self.assertRaises(InvalidCredentialsError):
            self.session(password="not-the-password").run_cmd("echo", ["x"])


class NtlmSealedHttp(Common, unittest.TestCase):
    """NTLM with message encryption over HTTP: the Windows default."""

    def session(self, password=PASSWORD):
        return winrm.Session(http(), auth=(USER, password), transport="ntlm", message_encryption="always")

    def protocol(self, **kw):
        return Protocol(http(), transport="ntlm", username=USER, password=PASSWORD,
                        message_encryption="always", **kw)

    def test_long_poll_times_out_and_polls_again(self):
        p = self.protocol(operation_timeout_sec=1, read_timeout_sec=5)
        shell = p.open_shell()
        try:
            started = time.monotonic()
            script = "Start-Sleep -Seconds 3; Write-Output done"
            encoded = __import__("base64").b64encode(script.encode("utf-16-le")).decode()
            cmd = p.run_command(shell, "powershell", ["-EncodedCommand", encoded])
            out, err, rc = p.get_command_output(shell, cmd)
            p.cleanup_command(shell, cmd)
        finally:
            p.close_shell(shell)
        self.assertEqual((out, rc), (b"done\r\n", 0))
        self.assertGreaterEqual(time.monotonic() - started, 3)

    @unittest.skipUnless(QUOTA_ADDR, "no quota host")
    def test_quota_fault_is_a_wsman_fault(self):
        p = Protocol(http(QUOTA_ADDR), transport="ntlm", username=USER, password=PASSWORD,
                     message_encryption="always")
        with self.assertRaises(WSManFaultError) as ctx:
            p.open_shell()
        self.assertEqual(ctx.exception.wsman_fault_code, 2150859173)
        self.assertEqual(ctx.exception.fault_subcode, "w:QuotaLimit")


class BasicHttp(Common, unittest.TestCase):
    """Basic over HTTP (the simulator allows unencrypted bodies by default)."""

    def session(self, password=PASSWORD):
        return winrm.Session(http(), auth=(USER, password), transport="basic")

    def protocol(self, **kw):
        return Protocol(http(), transport="basic", username=USER, password=PASSWORD, **kw)


@unittest.skipUnless(HTTPS_PORT, "no HTTPS simulator")
class BasicHttps(Common, unittest.TestCase):
    """Basic over HTTPS, certificate validation off."""

    def session(self, password=PASSWORD):
        return winrm.Session(https(), auth=(USER, password), transport="basic",
                             server_cert_validation="ignore")

    def protocol(self, **kw):
        return Protocol(https(), transport="basic", username=USER, password=PASSWORD,
                        server_cert_validation="ignore", **kw)


@unittest.skipUnless(HTTPS_PORT, "no HTTPS simulator")
class NtlmHttps(Common, unittest.TestCase):
    """NTLM over HTTPS (no sealing inside TLS with message_encryption=auto)."""

    def session(self, password=PASSWORD):
        return winrm.Session(https(), auth=(USER, password), transport="ntlm",
                             server_cert_validation="ignore")

    def protocol(self, **kw):
        return Protocol(https(), transport="ntlm", username=USER, password=PASSWORD,
                        server_cert_validation="ignore", **kw)


if __name__ == "__main__":
    unittest.main(verbosity=2)
