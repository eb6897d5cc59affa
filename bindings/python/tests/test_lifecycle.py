"""Isolation between profiles, reopening, and a closed vault."""

import pytest

import strongroom
from conftest import VISA, new_card, open_vault


def test_profiles_are_isolated(vault, scope, customer):
    vault.create_profile("pro_other", "merchant_other", None)
    other = vault.profile("pro_other")
    pm = scope.create_payment_method(new_card(customer.id)).payment_method
    with pytest.raises(strongroom.StrongroomError.NotFound):
        other.retrieve_customer(customer.id)
    with pytest.raises(strongroom.StrongroomError.NotFound):
        other.retrieve_payment_method(pm.id)
    with pytest.raises(strongroom.StrongroomError.NotFound):
        other.reveal_payment_method(pm.id)
    assert other.list_customers(None, None).customers == []
    # The same card for another profile's customer is a different token.
    theirs = other.create_customer(strongroom.CustomerCreate(name="Other"))
    their_pm = other.create_payment_method(new_card(theirs.id)).payment_method
    assert their_pm.id != pm.id
    assert scope.list_payment_methods(customer.id, None, None).payment_methods[0].id == pm.id


def test_reopen_keeps_everything(vault_path):
    with open_vault(vault_path) as v:
        v.create_profile("pro_shop", "merchant_shop", strongroom.ProfileSettings(cvc_ttl_seconds=3600))
        scope = v.profile("pro_shop")
        customer = scope.create_customer(strongroom.CustomerCreate(name="John"))
        pm = scope.create_payment_method(new_card(customer.id, card_cvc="123")).payment_method
    with open_vault(vault_path) as v:
        scope = v.profile("pro_shop")
        assert v.get_profile("pro_shop").settings.cvc_ttl_seconds == 3600
        assert scope.retrieve_customer(customer.id).name == "John"
        assert scope.reveal_payment_method(pm.id).card_number() == VISA
        assert scope.take_cvc(pm.id) == "123"


def test_closed_vault_gives_a_clear_error(vault_path):
    v = open_vault(vault_path)
    v.create_profile("pro_shop", "merchant_shop", None)
    scope = v.profile("pro_shop")
    v.close()
    v.close()  # closing twice is fine
    with pytest.raises(strongroom.StrongroomError.Internal) as ei:
        scope.list_customers(None, None)
    assert ei.value.kind == "closed"
    # The directory is free again: the same process can open it anew.
    with open_vault(vault_path) as again:
        assert [p.id for p in again.list_profiles()] == ["pro_shop"]


def test_vault_is_locked_while_open(vault, vault_path):
    with pytest.raises(strongroom.StrongroomError.Internal) as ei:
        open_vault(vault_path)
    assert ei.value.kind == "storage"


def test_a_dropped_vault_stays_open_for_its_scopes(vault_path):
    import gc

    with open_vault(vault_path) as v:
        v.create_profile("pro_shop", "merchant_shop", None)
    scope = open_vault(vault_path).profile("pro_shop")  # the vault object is gone at once
    gc.collect()
    customer = scope.create_customer(strongroom.CustomerCreate(name="Kept"))
    assert scope.retrieve_customer(customer.id).name == "Kept"
    with pytest.raises(strongroom.StrongroomError.Internal) as ei:
        open_vault(vault_path)  # still held by the scope
    assert ei.value.kind == "storage"
    del scope
    gc.collect()
    with open_vault(vault_path) as again:
        held = again.profile("pro_shop")
        assert held.retrieve_customer(customer.id).name == "Kept"
    # Closing the vault closes it for the scopes still held.
    with pytest.raises(strongroom.StrongroomError.Internal) as ei:
        held.list_customers(None, None)
    assert ei.value.kind == "closed"


def test_dropping_the_vault_releases_it(vault_path):
    v = open_vault(vault_path)
    del v
    import gc

    gc.collect()
    with open_vault(vault_path):
        pass


def test_master_key_rotation_from_python(vault_path):
    """rotate_master_key moves every profile to the new master key; then the old one is no
    longer needed. The profile shows its readable key versions along the way."""
    old, new = bytes(range(32)), bytes(range(1, 33))
    with open_vault(vault_path, old) as v:
        v.create_profile("pro_shop", "merchant_shop", None)
        scope = v.profile("pro_shop")
        customer = scope.create_customer(strongroom.CustomerCreate(name="John"))
        pm = scope.create_payment_method(new_card(customer.id)).payment_method
        assert v.get_profile("pro_shop").readable_key_versions == [1]
        rotated = v.rotate_profile_key("pro_shop")
        assert (rotated.active_key_version, rotated.readable_key_versions) == (2, [1, 2])
        v.reencrypt_profile("pro_shop")
        assert v.get_profile("pro_shop").readable_key_versions == [2]
        assert v.profile_stats("pro_shop").payment_methods == 1
    both = strongroom.VaultOptions(
        master_keys=[strongroom.MasterKeyEntry(id="k1", key=old), strongroom.MasterKeyEntry(id="k2", key=new)],
        active_master_key="k2",
        sync_writes=False,
    )
    with strongroom.Vault.open(vault_path, both) as v:
        reports = v.rotate_master_key()
        assert len(reports) == 1 and reports[0].reencrypted >= 2
        assert v.get_profile("pro_shop").readable_key_versions == [3]
    with strongroom.open_vault(vault_path, new, "k2", sync_writes=False) as v:
        assert v.profile("pro_shop").reveal_payment_method(pm.id).card_number() == VISA
