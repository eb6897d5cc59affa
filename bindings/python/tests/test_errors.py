"""Every error kind reaches Python as a StrongroomError subclass with code, field and message."""

import datetime

import pytest

import strongroom
from conftest import VISA, card, new_card, open_vault

E = strongroom.StrongroomError


def check(excinfo, kind, code, field):
    err = excinfo.value
    assert isinstance(err, E)
    assert isinstance(err, kind)
    assert err.code == code
    assert err.field == field
    assert err.message and err.message == err.detail
    assert code in str(err)
    return err


def test_unauthorized(vault):
    with pytest.raises(E) as ei:
        vault.authenticate("key_00000000000000000000000000000000.not-a-secret", "pro_shop")
    check(ei, E.Unauthorized, "IR_01", None)


def test_missing_field(scope, customer):
    with pytest.raises(E) as ei:
        scope.create_payment_method(new_card(customer.id, ""))
    check(ei, E.MissingField, "IR_04", "card_number")


def test_invalid_value(scope, customer):
    with pytest.raises(E) as ei:
        scope.create_payment_method(new_card(customer.id, "4242424242424241"))
    err = check(ei, E.InvalidValue, "IR_05", "card_number")
    assert "4242424242424241" not in str(err)


def test_forbidden(vault, scope, customer):
    created = vault.create_api_key("pro_shop", strongroom.ApiKeyCreate(name="ro", scopes=strongroom.Scopes(read=True)))
    reader = vault.authenticate(created.secret(), "pro_shop")
    with pytest.raises(E) as ei:
        reader.create_customer(strongroom.CustomerCreate(name="x"))
    check(ei, E.Forbidden, "IR_06", None)


def test_redacted(scope, customer):
    scope.delete_customer(customer.id)
    with pytest.raises(E) as ei:
        scope.retrieve_customer(customer.id)
    check(ei, E.Redacted, "IR_11", "customer_id")


def test_duplicate_reference(scope):
    scope.create_customer(strongroom.CustomerCreate(merchant_reference_id="ref_1"))
    with pytest.raises(E) as ei:
        scope.create_customer(strongroom.CustomerCreate(merchant_reference_id="ref_1"))
    check(ei, E.DuplicateReference, "IR_12", "merchant_reference_id")


def test_card_expired(scope, customer):
    with pytest.raises(E) as ei:
        scope.create_payment_method(new_card(customer.id, card_exp_month="01", card_exp_year="2020"))
    check(ei, E.CardExpired, "CE_05", "card_exp_year")


def test_duplicate(vault):
    with pytest.raises(E) as ei:
        vault.create_profile("pro_shop", "merchant_shop", None)
    check(ei, E.Duplicate, "HE_01", "profile_id")


def test_not_found(scope):
    with pytest.raises(E) as ei:
        scope.retrieve_payment_method("pm_" + "0" * 32)
    check(ei, E.NotFound, "HE_02", "payment_method_id")


def test_internal_closed(vault, scope):
    vault.close()
    assert vault.is_closed()
    for call in (vault.list_profiles, lambda: scope.create_customer(strongroom.CustomerCreate(name="x"))):
        with pytest.raises(E) as ei:
            call()
        err = check(ei, E.Internal, "HE_00", None)
        assert err.kind == "closed"


def test_wrong_master_key(vault_path):
    with open_vault(vault_path):
        pass
    with pytest.raises(E) as ei:
        open_vault(vault_path, bytes(32))
    err = check(ei, E.Internal, "HE_00", None)
    assert err.kind == "wrong_master_key"


def test_master_key_length(vault_path):
    with pytest.raises(E) as ei:
        open_vault(vault_path, b"short")
    check(ei, E.InvalidValue, "IR_05", "master_key")


def test_errors_are_catchable_as_one_type(scope):
    caught = []
    for call in (
        lambda: scope.retrieve_customer("cus_" + "0" * 32),
        lambda: scope.retrieve_customer("not-an-id"),
        lambda: scope.list_customers(0, None),
    ):
        try:
            call()
        except E as e:
            caught.append(e.code)
    assert caught == ["HE_02", "IR_05", "IR_05"]


def test_api_key_expiry_in_past(vault):
    past = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    with pytest.raises(E) as ei:
        vault.create_api_key("pro_shop", strongroom.ApiKeyCreate(name="old", scopes=strongroom.Scopes(read=True), expires_at=past))
    check(ei, E.InvalidValue, "IR_05", "expires_at")


def test_errors_name_the_argument_or_option_given(tmp_path, scope, customer):
    # A list's cursor is `starting_after`, whatever kind of id it must be.
    for call in [
        lambda: scope.list_customers(None, "not-an-id"),
        lambda: scope.list_payment_methods(customer.id, None, "pm_bad"),
    ]:
        with pytest.raises(E) as ei:
            call()
        check(ei, E.InvalidValue, "IR_05", "starting_after")
    with pytest.raises(E) as ei:
        scope.list_customers(None, "")
    check(ei, E.MissingField, "IR_04", "starting_after")
    # The vault's options are named as VaultOptions names them.
    entry = strongroom.MasterKeyEntry
    for options, kind, code, field in [
        (strongroom.VaultOptions(master_keys=[entry(id="bad id", key=bytes(32))], active_master_key="bad id"), E.InvalidValue, "IR_05", "master_keys.id"),
        (strongroom.VaultOptions(master_keys=[entry(id="k1", key=bytes(31))], active_master_key="k1"), E.InvalidValue, "IR_05", "master_keys.key"),
        (strongroom.VaultOptions(master_keys=[entry(id="k1", key=bytes(32))], active_master_key=""), E.MissingField, "IR_04", "active_master_key"),
    ]:
        with pytest.raises(E) as ei:
            strongroom.Vault.open(str(tmp_path / "v"), options)
        check(ei, kind, code, field)


def test_an_api_key_expiry_past_the_year_9999_is_refused(vault):
    far = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)
    created = vault.create_api_key("pro_shop", strongroom.ApiKeyCreate(name="far", scopes=strongroom.Scopes(read=True), expires_at=far))
    assert created.key().expires_at == far
    assert [k.expires_at for k in vault.list_api_keys("pro_shop")] == [far]
