"""Bad input across the boundary: typed errors, nothing written, never a crash."""

import array
import datetime
import os

import pytest

import strongroom
from conftest import new_card

E = strongroom.StrongroomError
MB = 1024 * 1024


def count(vault):
    s = vault.stats().total
    return (s.customers, s.payment_methods)


@pytest.mark.parametrize(
    "make, code, field",
    [
        (lambda c: strongroom.CustomerCreate(name="John\x00Doe"), "IR_05", "name"),
        (lambda c: strongroom.CustomerCreate(name="x" * MB), "IR_05", "name"),
        (lambda c: strongroom.CustomerCreate(email="a@b.c\x00"), "IR_05", "email"),
        (lambda c: strongroom.CustomerCreate(description="d" * MB), "IR_05", "description"),
        (lambda c: strongroom.CustomerCreate(metadata={"k\x00": "v"}), "IR_05", "metadata"),
        (lambda c: strongroom.CustomerCreate(metadata={"k": "v" * MB}), "IR_05", "metadata"),
        (lambda c: strongroom.CustomerCreate(name="\ud800"), "IR_05", "name"),  # lone surrogate
        (lambda c: strongroom.CustomerCreate(name="ok\udfffok"), "IR_05", "name"),
        (lambda c: strongroom.CustomerCreate(metadata={"k": "\udc80"}), "IR_05", "metadata"),
    ],
)
def test_bad_customer_input(vault, scope, make, code, field):
    before = count(vault)
    with pytest.raises(E) as ei:
        scope.create_customer(make(None))
    assert ei.value.code == code
    if field is not None:
        assert ei.value.field is not None and ei.value.field.startswith(field)
    assert count(vault) == before


@pytest.mark.parametrize(
    "fields, code, field",
    [
        ({"number": "4242\x00424242424242"}, "IR_05", "card_number"),
        ({"number": "4" * MB}, "IR_05", "card_number"),
        ({"card_holder_name": "n" * MB}, "IR_05", "card_holder_name"),
        ({"card_holder_name": "John\x00"}, "IR_05", "card_holder_name"),
        ({"nick_name": "\ud83d"}, "IR_05", None),
        ({"card_exp_month": "-1"}, "IR_05", "card_exp_month"),
        ({"card_exp_year": "-2030"}, "IR_05", "card_exp_year"),
        ({"card_exp_month": "99999999999999999999"}, "IR_05", "card_exp_month"),
        ({"card_cvc": "\x00\x00\x00"}, "IR_05", "card_cvc"),
        ({"number": "４２４２４２４２４２４２４２４２"}, "IR_05", "card_number"),
    ],
)
def test_bad_card_input(vault, scope, customer, fields, code, field):
    before = count(vault)
    number = fields.pop("number", "4242424242424242")
    with pytest.raises(E) as ei:
        scope.create_payment_method(new_card(customer.id, number, **fields))
    assert ei.value.code == code
    if field is not None:
        assert ei.value.field == field
    assert "4242424242424242" not in str(ei.value)
    assert count(vault) == before


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda v, s: s.list_customers(-1, None), "limit"),
        (lambda v, s: s.list_customers(0, None), "limit"),
        (lambda v, s: s.list_customers(2**62, None), "limit"),
        (lambda v, s: v.list_audit("pro_shop", -5, 10), "from"),
        (lambda v, s: v.list_audit("pro_shop", 0, -10), "limit"),
        (lambda v, s: v.create_profile("pro_x", "m", strongroom.ProfileSettings(cvc_ttl_seconds=-1)), "cvc_ttl_seconds"),
        (lambda v, s: v.create_profile("pro_z", "m", strongroom.ProfileSettings(cvc_ttl_seconds=0)), "cvc_ttl_seconds"),
        (lambda v, s: v.update_profile_settings("pro_shop", strongroom.ProfileSettings(volatile_ttl_seconds=10**9)),
         "volatile_ttl_seconds"),
        (lambda v, s: v.create_profile("pro_y", "m", strongroom.ProfileSettings(volatile_ttl_seconds=-86400)), "volatile_ttl_seconds"),
        (lambda v, s: v.create_profile("pro\x00", "m", None), "profile_id"),
    ],
)
def test_negative_and_out_of_range_numbers(vault, scope, call, field):
    before = len(vault.list_profiles())
    with pytest.raises(E) as ei:
        call(vault, scope)
    assert ei.value.code == "IR_05"
    assert ei.value.field == field
    assert len(vault.list_profiles()) == before


@pytest.mark.parametrize(
    "call",
    [
        lambda v, s: s.list_customers(2**64, None),  # does not fit an i64
        lambda v, s: s.list_customers("10", None),  # not an integer
        lambda v, s: s.retrieve_customer(b"cus_bytes"),  # bytes, not str
        lambda v, s: s.retrieve_customer(None),
        lambda v, s: v.create_profile("pro_z", "m", strongroom.ProfileSettings(cvc_ttl_seconds=2**70)),
    ],
)
def test_values_python_cannot_pass_are_typed_errors(vault, scope, call):
    with pytest.raises(E.InvalidValue) as ei:
        call(vault, scope)
    assert ei.value.code == "IR_05"
    # The original text, which may quote the value, is neither chained nor kept as context.
    assert ei.value.__cause__ is None and ei.value.__context__ is None


def api_key(vault, expires_at):
    request = strongroom.ApiKeyCreate(name="ro", scopes=strongroom.Scopes(read=True), expires_at=expires_at)
    return vault.create_api_key("pro_shop", request)


def wrong_card(c, **fields):
    request = new_card(c.id)
    for name, value in fields.items():
        target = request.card if name.startswith("card_") else request
        setattr(target, name, value)
    return request


@pytest.mark.parametrize(
    "make, field, detail",
    [
        # Each of these raised AttributeError, struct.error or an internal error before.
        (lambda c: strongroom.PaymentMethodCreate(customer_id=c.id, card={"card_number": "4242"}), "card", "a CardInput, not dict"),
        (lambda c: strongroom.PaymentMethodCreate(customer_id=c.id, card=None), "card", "a CardInput, not NoneType"),
        (lambda c: wrong_card(c, billing="1 Rue de Paris"), "billing", "an Address, not str"),
        (lambda c: wrong_card(c, billing=strongroom.Address(city=75001)), "billing.city", "a str, not int"),
        (lambda c: wrong_card(c, metadata=[("order", "42")]), "metadata", "a dict, not list"),
        (lambda c: wrong_card(c, metadata={"order": 42}), "metadata", "a str, not int"),
        (lambda c: wrong_card(c, recurring_enabled="yes"), "recurring_enabled", "a bool, not str"),
        (lambda c: wrong_card(c, recurring_enabled=2), "recurring_enabled", "a bool, not int"),
        (lambda c: wrong_card(c, recurring_enabled=None), "recurring_enabled", "a bool, not NoneType"),
        (lambda c: wrong_card(c, network_tokenization=1), "network_tokenization", "a bool, not int"),
        (lambda c: wrong_card(c, payment_method_subtype="credit"), "payment_method_subtype", "a PaymentMethodSubtype, not str"),
        (lambda c: wrong_card(c, card_network="visa"), "card.card_network", "a CardNetwork, not str"),
        (lambda c: wrong_card(c, card_number=4242424242424242), "card.card_number", "a str, not int"),
        (lambda c: wrong_card(c, card_cvc=123), "card.card_cvc", "a str, not int"),
        (lambda c: {"customer_id": c.id, "card": {}}, "request", "a PaymentMethodCreate, not dict"),
    ],
)
def test_arguments_of_the_wrong_type_are_named_and_nothing_is_written(vault, scope, customer, make, field, detail):
    before = count(vault)
    with pytest.raises(E.InvalidValue) as ei:
        scope.create_payment_method(make(customer))
    assert (ei.value.code, ei.value.field) == ("IR_05", field)
    assert ei.value.detail == ("invalid value for `" + field + "`" if field else "invalid value") + ": must be " + detail
    # Nothing of the original failure is kept with the error (its text, its frames).
    assert ei.value.__cause__ is None and ei.value.__context__ is None
    assert "4242424242424242" not in str(ei.value) and "123" not in ei.value.detail
    assert count(vault) == before


@pytest.mark.parametrize(
    "call, field, detail",
    [
        # v: a directory for another vault, which none of these opens; vault: the open one.
        # An argument itself is named as the vault names it (`from`, not `_from`).
        (lambda v, s, c, vault: s.update_payment_method("pm_x", {"nick_name": "a"}), "update", "a PaymentMethodUpdate, not dict"),
        (lambda v, s, c, vault: s.retrieve_payment_method(None), "payment_method_id", "a str, not NoneType"),
        (lambda v, s, c, vault: vault.list_audit("pro_shop", "0", 5), "from", "an integer from -9223372036854775808 to 9223372036854775807, not str"),
        (lambda v, s, c, vault: vault.create_profile("pro_x", "m", {"cvc_ttl_seconds": 5}), "settings", "a ProfileSettings, not dict"),
        (lambda v, s, c, vault: s.update_customer(c.id, strongroom.CustomerUpdate(metadata="k=v")), "metadata", "a dict, not str"),
        (lambda v, s, c, vault: s.list_payment_methods(c.id, "5", None), "limit", "an integer from -9223372036854775808 to 9223372036854775807, not str"),
        (lambda v, s, c, vault: s.list_payment_methods(c.id, 2**64, None), "limit", "an integer from -9223372036854775808 to 9223372036854775807"),
        (lambda v, s, c, vault: strongroom.open_vault(str(v), bytes(32), "k1", sync_writes="yes"), "sync_writes", "a bool, not str"),
        (lambda v, s, c, vault: strongroom.Vault.open(str(v), strongroom.VaultOptions(master_keys="k", active_master_key="k")), "master_keys", "a list, not str"),
        (lambda v, s, c, vault: strongroom.Vault.open(str(v), strongroom.VaultOptions(master_keys=[strongroom.MasterKeyEntry(id="k", key="k" * 32)], active_master_key="k")), "master_keys.key", "a bytes-like object, not str"),
        (lambda v, s, c, vault: api_key(vault, "2030-01-01"), "expires_at", "a datetime with a time zone, not str"),
        (lambda v, s, c, vault: api_key(vault, datetime.datetime(2030, 1, 1)), "expires_at", "a datetime with a time zone, not datetime"),
        (lambda v, s, c, vault: strongroom.NetworkTokenSimulator(bytes(32)).set_faults(0, 300, 0), "fail_percent", "an integer from 0 to 255"),
        (lambda v, s, c, vault: strongroom.NetworkTokenSimulator("seed"), "seed", "a bytes-like object, not str"),
        # open_vault's own arguments: before, bytes(32) made an all-zero key of an int, and
        # str() a directory named "None" or "b'...'" of None or bytes.
        (lambda v, s, c, vault: strongroom.open_vault(str(v), 32), "master_key", "a bytes-like object of one-byte items, not int"),
        (lambda v, s, c, vault: strongroom.open_vault(str(v), None), "master_key", "a bytes-like object of one-byte items, not NoneType"),
        (lambda v, s, c, vault: strongroom.open_vault(str(v), array.array("H", range(16))), "master_key", "a bytes-like object of one-byte items, not array"),
        (lambda v, s, c, vault: strongroom.open_vault(None, bytes(32)), "path", "a str or a path-like object, not NoneType"),
        (lambda v, s, c, vault: strongroom.open_vault(str(v), bytes(32), 5), "key_id", "a str, not int"),
        (lambda v, s, c, vault: strongroom.open_vault(str(v), bytes(32), network_tokens="sim"), "network_tokens", "a NetworkTokenSimulator or a NetworkTokenProvider, not str"),
    ],
)
def test_wrong_types_in_other_calls_are_named(vault, scope, customer, tmp_path, call, field, detail):
    before = count(vault)
    with pytest.raises(E.InvalidValue) as ei:
        call(tmp_path / "other", scope, customer, vault)
    assert (ei.value.code, ei.value.field) == ("IR_05", field)
    assert ei.value.detail == ("invalid value for `" + field + "`" if field else "invalid value") + ": must be " + detail
    assert ei.value.__cause__ is None and ei.value.__context__ is None
    assert count(vault) == before and len(vault.list_api_keys("pro_shop")) == 0
    assert not (tmp_path / "other").exists()


def test_every_record_is_checked_field_by_field():
    from strongroom import _argument_checks, _fast_records
    from strongroom._native import strongroom as generated

    with open(generated.__file__, encoding="utf-8") as f:
        kinds = _fast_records.plan(f.read())
    records = {name for name, kind in kinds.items() if kind[0] == "record"}
    assert _argument_checks.BY_FIELD == records and len(records) == 33


def test_open_vault_takes_paths_of_each_kind_and_a_key_of_each_bytes_like_kind(tmp_path):
    for path, key in ((tmp_path / "a", bytearray(range(32))), (os.fsencode(tmp_path / "b"), memoryview(bytes(range(32))))):
        with strongroom.open_vault(path, key, sync_writes=False) as vault:
            vault.create_profile("pro_shop", "m", None)
        with strongroom.open_vault(path, bytes(range(32)), sync_writes=False) as vault:  # the same key
            assert vault.profile("pro_shop").profile_id() == "pro_shop"
    assert sorted(os.listdir(tmp_path)) == ["a", "b"]


def test_unicode_that_is_valid_is_kept(scope):
    name = "Zoë Ünïcødé 山田 🃏"
    assert scope.retrieve_customer(scope.create_customer(strongroom.CustomerCreate(name=name)).id).name == name


def test_a_lone_surrogate_leaves_no_handle_behind(tmp_path):
    """Refused before the generated call clones the object's handle: a vault dropped with
    its scopes after such a failure is closed (its directory can be opened again), as after
    any other."""
    import gc

    path = tmp_path / "v"
    vault = strongroom.open_vault(path, bytes(range(32)), sync_writes=False)
    vault.create_profile("pro_shop", "m", None)
    scope = vault.profile("pro_shop")
    for call in (
        lambda: vault.profile("pro_\ud800"),
        lambda: vault.authenticate("key_x.00", "pro_\udfff"),
        lambda: scope.retrieve_payment_method("pm_\ud800"),
        lambda: scope.create_customer(strongroom.CustomerCreate(name="\ud800")),
    ):
        with pytest.raises(strongroom.StrongroomError.InvalidValue) as ei:
            call()
        assert ei.value.code == "IR_05" and "surrogate" in ei.value.detail
    # The last refusal's traceback holds the scope, and a scope holds its vault open.
    del vault, scope, call, ei
    gc.collect()
    with strongroom.open_vault(path, bytes(range(32)), sync_writes=False) as again:
        assert again.profile("pro_shop").profile_id() == "pro_shop"
