"""Secrets at rest: Fernet tokens in the database, key rotation, values that do not print themselves."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from portal import encryption
from portal.encryption import Secret


def test_a_value_reads_back_and_is_stored_as_a_token(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    token = encryption.encrypt("s3cret")
    assert token.startswith("gAAAA") and "s3cret" not in token
    assert encryption.decrypt(token) == "s3cret"


def test_keys_rotate_by_prepending_a_new_one(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    token = encryption.encrypt("s3cret")
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert encryption.decrypt(token) == "s3cret"
    assert Fernet(new.encode()).decrypt(encryption.encrypt("x").encode()) == b"x"  # the first key encrypts
    settings.FIELD_ENCRYPTION_KEYS = [new]
    with pytest.raises(Exception, match="FIELD_ENCRYPTION_KEYS"):
        encryption.decrypt(token)


def test_a_secret_does_not_print_itself():
    secret = Secret("s3cret")
    assert str(secret) == "***" and repr(secret) == "Secret('***')" and f"{secret}" == "***"
    assert secret.reveal() == "s3cret"


def test_the_deploy_check_wants_real_keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    assert [e.id for e in encryption.check_encryption_keys()] == ["portal.E101"]
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-key"]
    assert [e.id for e in encryption.check_encryption_keys()] == ["portal.E102"]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert encryption.check_encryption_keys() == []
