"""The password gate's secret and its slowing of guesses (qa/app/access.py)."""

import base64
import hashlib
import threading
import time

from qa.app.access import Throttle, access_mode, password_matches, password_setting, setting_problem


def _secrets(setting: str) -> dict:
    return {"access": {"password_scrypt": setting}}


def test_the_stored_setting_is_a_salted_scrypt_key_checked_independently():
    setting = password_setting("correct horse")
    name, n, r, p, salt, key = setting.split("$")
    # An independent reading: the key is scrypt of the password under the stated salt and cost.
    expected = hashlib.scrypt(b"correct horse", salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                              dklen=len(base64.b64decode(key)), maxmem=2**26)
    assert name == "scrypt" and base64.b64decode(key) == expected and int(n) >= 2**14
    assert "correct horse" not in setting and hashlib.sha256(b"correct horse").hexdigest() not in setting
    assert password_setting("correct horse") != setting  # a fresh salt each time: no table lookup
    assert password_matches("correct horse", _secrets(setting))
    assert not password_matches("correct horse ", _secrets(setting)) and not password_matches("", _secrets(setting))
    assert setting_problem(_secrets(setting)) is None and access_mode(_secrets(setting)) == "password"


def test_plain_and_unsalted_secrets_keep_the_gate_shut_and_say_what_to_do():
    for old in ({"password": "correct horse"},
                {"password_sha256": hashlib.sha256(b"correct horse").hexdigest()}):
        secrets = {"access": old}
        assert access_mode(secrets) == "password"  # never open because the setting is old
        assert not password_matches("correct horse", secrets)
        problem = setting_problem(secrets)
        assert "python -m qa.app.access" in problem and "password_scrypt" in problem and next(iter(old)) in problem


def test_a_damaged_setting_is_refused_with_the_remedy():
    good = password_setting("x")
    for bad in (good[:-8], good.replace("scrypt$", "bcrypt$"), good.replace("$16384$", "$1000$"), "scrypt$$$$$"):
        assert not password_matches("x", _secrets(bad))
        assert "python -m qa.app.access" in setting_problem(_secrets(bad))


class FakeClock:
    def __init__(self):
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_failures_slow_that_client_only_and_a_success_resets_it():
    secrets, clock = _secrets(password_setting("right")), FakeClock()
    throttle = Throttle(base_seconds=1, cap_seconds=8, sleep=clock.sleep)
    for _ in range(5):
        assert not throttle.check("10.0.0.1", "wrong", secrets)
    assert clock.slept == [1, 2, 4, 8, 8]  # doubling, capped
    assert throttle.delay("10.0.0.2") == 0 and throttle.check("10.0.0.2", "right", secrets)
    assert len(clock.slept) == 5  # the other address was not slowed
    assert throttle.check("10.0.0.1", "right", secrets) and throttle.delay("10.0.0.1") == 0


def test_parallel_sessions_of_one_address_wait_behind_each_other():
    secrets = _secrets(password_setting("right"))
    throttle = Throttle(base_seconds=0.3, cap_seconds=0.3)
    started = time.perf_counter()
    threads = [threading.Thread(target=throttle.check, args=("10.0.0.1", "wrong", secrets)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.perf_counter() - started >= 0.9  # three wrong answers, one after another, not side by side


def test_only_the_most_recent_addresses_are_remembered():
    secrets, clock = _secrets(password_setting("right")), FakeClock()
    throttle = Throttle(max_clients=2, sleep=clock.sleep)
    for client in ("a", "b", "c"):
        throttle.check(client, "wrong", secrets)
    assert throttle.delay("a") == 0 and throttle.delay("b") > 0 and throttle.delay("c") > 0
