"""The seed's server-to-server flow, end to end through the Python binding."""

import datetime

import strongroom
from conftest import MASTERCARD, VISA, new_card


def test_server_to_server_flow(scope):
    customer = scope.create_customer(
        strongroom.CustomerCreate(
            merchant_reference_id="ref_1",
            name="John Doe",
            email="john@example.com",
            phone="999999999",
            phone_country_code="+65",
            metadata={"tier": "gold"},
        )
    )
    assert customer.id.startswith("cus_")
    assert customer.status == strongroom.CustomerStatus.ACTIVE
    assert isinstance(customer.created_at, datetime.datetime)

    created = scope.create_payment_method(
        new_card(customer.id, card_holder_name="John Doe", card_cvc="123", nick_name="work")
    )
    assert not created.duplicate
    pm = created.payment_method
    assert pm.id.startswith("pm_")
    assert pm.customer_id == customer.id
    assert pm.card.last4_digits == "4242"
    assert pm.card.card_network == strongroom.CardNetwork.VISA
    assert pm.card.card_holder_name == "John Doe"
    assert pm.card.nick_name == "work"
    assert pm.card_cvc_token_storage.is_stored
    assert (pm.payment_method_type, pm.status) == (
        strongroom.PaymentMethodType.CARD,
        strongroom.PaymentMethodStatus.ACTIVE,
    )
    assert scope.find_customer_by_reference("ref_1").id == customer.id

    # Same card for the same customer: the existing token comes back.
    again = scope.create_payment_method(new_card(customer.id))
    assert again.duplicate and again.payment_method.id == pm.id

    fetched = scope.retrieve_payment_method(pm.id)
    assert fetched.id == pm.id and fetched.card.expiry_month == 12 and fetched.card.expiry_year == 2035

    updated = scope.update_payment_method(
        pm.id,
        strongroom.PaymentMethodUpdate(
            card_holder_name="Jane Doe", nick_name="personal", card_cvc="456", card_exp_month="01", card_exp_year="2036"
        ),
    )
    assert updated.card.card_holder_name == "Jane Doe"
    assert updated.card.nick_name == "personal"
    assert (updated.card.expiry_month, updated.card.expiry_year) == (1, 2036)
    assert scope.take_cvc(pm.id) == "456"

    second = scope.create_payment_method(new_card(customer.id, MASTERCARD)).payment_method
    page = scope.list_payment_methods(customer.id, None, None)
    assert [p.id for p in page.payment_methods] == [pm.id, second.id]
    assert page.next_starting_after is None
    first_page = scope.list_payment_methods(customer.id, 1, None)
    assert [p.id for p in first_page.payment_methods] == [pm.id]
    rest = scope.list_payment_methods(customer.id, 1, first_page.next_starting_after)
    assert [p.id for p in rest.payment_methods] == [second.id]

    assert scope.delete_payment_method(pm.id) == pm.id
    try:
        scope.retrieve_payment_method(pm.id)
        raise AssertionError("deleted payment method still readable")
    except strongroom.StrongroomError.NotFound as e:
        assert e.code == "HE_02"

    deleted = scope.delete_customer(customer.id)
    assert deleted.customer_deleted and deleted.payment_methods_deleted == 1


def test_find_by_reference_and_check_card(scope, customer):
    try:
        scope.find_customer_by_reference("crm-missing")
        raise AssertionError("an unknown reference was found")
    except strongroom.StrongroomError.NotFound as e:
        assert (e.code, e.field) == ("HE_02", "merchant_reference_id")
    # A card is checked as create would check it, and nothing is written.
    assert scope.check_card(strongroom.CardInput(card_number=VISA, card_exp_month="12", card_exp_year="2035"), None, None) is None
    bad = [
        (strongroom.CardInput(card_number=VISA, card_exp_month="13", card_exp_year="2035"), None, "card_exp_month"),
        (strongroom.CardInput(card_number="4242424242424241", card_exp_month="12", card_exp_year="2035"), None, "card_number"),
        (strongroom.CardInput(card_number=VISA, card_exp_month="12", card_exp_year="2035"), {"note": VISA}, "metadata.value"),
    ]
    for card, metadata, field in bad:
        try:
            scope.check_card(card, None, metadata)
            raise AssertionError(f"{field}: accepted")
        except strongroom.StrongroomError.InvalidValue as e:
            assert (e.code, e.field) == ("IR_05", field)
    assert scope.list_payment_methods(customer.id, None, None).payment_methods == []


def test_customer_update_and_list(scope):
    a = scope.create_customer(strongroom.CustomerCreate(name="A"))
    b = scope.create_customer(strongroom.CustomerCreate(name="B"))
    updated = scope.update_customer(a.id, strongroom.CustomerUpdate(email="a@example.com", metadata={"k": "v"}))
    assert updated.email == "a@example.com" and updated.metadata == {"k": "v"}
    assert scope.retrieve_customer(a.id).email == "a@example.com"
    page = scope.list_customers(None, None)
    assert [c.id for c in page.customers] == [a.id, b.id]


def test_profiles_stats_and_audit(vault, scope, customer):
    scope.create_payment_method(new_card(customer.id))
    assert [p.id for p in vault.list_profiles()] == ["pro_shop"]
    stats = vault.stats()
    assert stats.total.customers == 1 and stats.total.payment_methods == 1
    events = vault.list_audit("pro_shop", 0, 100)
    assert [e.action for e in events][-2:] == ["customer_created", "payment_method_created"]
    assert all(isinstance(e.at, datetime.datetime) for e in events)
    assert vault.verify_audit("pro_shop").first_bad is None
    assert vault.verify().problems == []


def test_api_key_scopes(vault, scope, customer):
    pm = scope.create_payment_method(new_card(customer.id)).payment_method
    created = vault.create_api_key("pro_shop", strongroom.ApiKeyCreate(name="reader", scopes=strongroom.Scopes(read=True)))
    secret = created.secret()
    assert secret.split(".")[0] == created.key().id
    assert secret not in repr(created) and secret.split(".")[1] not in str(created)
    reader = vault.authenticate(secret, "pro_shop")
    assert reader.retrieve_payment_method(pm.id).id == pm.id
    try:
        reader.reveal_payment_method(pm.id)
        raise AssertionError("a read-only key revealed a card")
    except strongroom.StrongroomError.Forbidden as e:
        assert e.code == "IR_06"
    vault.revoke_api_key("pro_shop", created.key().id)
    try:
        vault.authenticate(secret, "pro_shop")
        raise AssertionError("a revoked key authenticated")
    except strongroom.StrongroomError.Unauthorized as e:
        assert e.code == "IR_01"


def test_types_are_visible_to_editors():
    import inspect
    import pathlib

    assert (pathlib.Path(strongroom.__file__).parent / "py.typed").exists()
    sig = inspect.signature(strongroom.ProfileScope.create_customer)
    assert "request" in sig.parameters
    assert sig.return_annotation not in (inspect.Signature.empty, None)
