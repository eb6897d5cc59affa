"""Fixtures: a vault in a temporary directory, one profile, one customer."""

import pytest

import strongroom

MASTER_KEY = bytes(range(32))
VISA = "4242424242424242"
MASTERCARD = "5555555555554444"


def open_vault(path, master_key=MASTER_KEY):
    # fsync is tested in Rust; here it only slows the suite down.
    return strongroom.open_vault(path, master_key, "k1", sync_writes=False)


def card(number=VISA, **fields):
    fields.setdefault("card_exp_month", "12")
    fields.setdefault("card_exp_year", "2035")
    return strongroom.CardInput(card_number=number, **fields)


def new_card(customer_id, number=VISA, **fields):
    return strongroom.PaymentMethodCreate(customer_id=customer_id, card=card(number, **fields))


@pytest.fixture
def vault_path(tmp_path):
    return str(tmp_path / "vault")


@pytest.fixture
def vault(vault_path):
    with open_vault(vault_path) as v:
        v.create_profile("pro_shop", "merchant_shop", None)
        yield v


@pytest.fixture
def scope(vault):
    return vault.profile("pro_shop")


@pytest.fixture
def customer(scope):
    return scope.create_customer(strongroom.CustomerCreate(name="John Doe", email="john@example.com"))
