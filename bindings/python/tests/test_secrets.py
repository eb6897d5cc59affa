"""Masked views never hold the full number; reveal and take_cvc hand out secrets once asked."""

import strongroom
from conftest import MASTERCARD, VISA, new_card


def test_masked_views_never_contain_the_card_number(scope, customer):
    pm = scope.create_payment_method(new_card(customer.id, card_cvc="123")).payment_method
    views = [
        pm,
        scope.retrieve_payment_method(pm.id),
        scope.list_payment_methods(customer.id, None, None),
        scope.update_payment_method(pm.id, strongroom.PaymentMethodUpdate(nick_name="n")),
    ]
    for view in views:
        text = repr(view) + str(view)
        assert VISA not in text
        assert VISA[:12] not in text and VISA[4:] not in text  # never more than BIN + last four
        assert "123" not in text.replace("0123", "")  # the CVC is never shown
    assert pm.card.card_isin == VISA[:8] and pm.card.last4_digits == VISA[-4:]


def test_reveal_gives_the_full_card_but_prints_masked(scope, customer):
    pm = scope.create_payment_method(new_card(customer.id, MASTERCARD, card_holder_name="John Doe")).payment_method
    revealed = scope.reveal_payment_method(pm.id)
    assert revealed.card_number() == MASTERCARD
    assert revealed.payment_method_id() == pm.id
    assert (revealed.expiry_month(), revealed.expiry_year()) == (12, 2035)
    assert revealed.card_holder_name() == "John Doe"
    assert revealed.card_network() == strongroom.CardNetwork.MASTERCARD
    printed = repr(revealed) + str(revealed)
    assert MASTERCARD not in printed and "John Doe" not in printed
    assert "4444" in printed


def test_results_print_the_holder_and_the_customer_hidden(scope):
    billing = strongroom.Address(line1="1 Secret Lane", city="Springfield", first_name="Ada", country="US")
    personal = dict(name="Ada Lovelace", email="ada@example.com", phone="555 0100")
    request = strongroom.CustomerCreate(**personal, default_billing_address=billing)
    customer = scope.create_customer(request)
    create = new_card(customer.id, card_holder_name="Ada Lovelace")
    create.billing, create.metadata = billing, {"note": "Ada prefers Springfield"}
    pm = scope.create_payment_method(create).payment_method
    assert pm.card.card_holder_name == "Ada Lovelace" and customer.email == "ada@example.com"
    assert pm.metadata == {"note": "Ada prefers Springfield"}
    printed = [
        request,
        create,
        strongroom.CustomerUpdate(**personal, default_shipping_address=billing),
        customer,
        scope.retrieve_customer(customer.id),
        scope.list_customers(None, None),
        pm,
        scope.retrieve_payment_method(pm.id),
        scope.list_payment_methods(customer.id, None, None),
    ]
    for value in printed:
        text = repr(value) + str(value)
        for secret in ["Ada", "Lovelace", "ada@example.com", "555 0100", "Secret Lane", "Springfield"]:
            assert secret not in text, (secret, text)
    assert "'US'" in str(customer) and "4242" in str(pm) and "'note'" in str(pm) and "'note'" in str(create)


def test_take_cvc_returns_it_once(scope, customer):
    pm = scope.create_payment_method(new_card(customer.id, card_cvc="737")).payment_method
    assert scope.take_cvc(pm.id) == "737"
    assert scope.take_cvc(pm.id) is None
    assert not scope.retrieve_payment_method(pm.id).card_cvc_token_storage.is_stored


def test_reveal_needs_the_reveal_right(vault, scope, customer):
    pm = scope.create_payment_method(new_card(customer.id)).payment_method
    key = vault.create_api_key(
        "pro_shop", strongroom.ApiKeyCreate(name="revealer", scopes=strongroom.Scopes(read=True, reveal=True))
    )
    assert vault.authenticate(key.secret(), "pro_shop").reveal_payment_method(pm.id).card_number() == VISA
    actions = [e.action for e in vault.list_audit("pro_shop", 0, 1000)]
    assert "card_revealed" in actions


def test_requests_print_masked():
    request = strongroom.PaymentMethodCreate(
        customer_id="cus_" + "0" * 32,
        card=strongroom.CardInput(
            card_number=VISA, card_exp_month="12", card_exp_year="2035", card_cvc="737", card_holder_name="John Doe"
        ),
    )
    update = strongroom.PaymentMethodUpdate(card_cvc="737", card_holder_name="John Doe")
    key = strongroom.MasterKeyEntry(id="k1", key=bytes(range(32)))
    for printed in (repr(request), str(request), repr(update), str(update), repr(key), str(key)):
        assert VISA not in printed and VISA[:12] not in printed
        assert "737" not in printed and "John Doe" not in printed
        assert repr(bytes(range(32))) not in printed
    assert "…4242" in str(request)


def test_buffers_are_wiped_when_the_library_frees_them():
    """Every argument and result crosses in a buffer the native library allocates and frees
    (a card number in a create's request, in a reveal's result): its allocator wipes each
    block before freeing it. Read back where a freed buffer was (a small block stays mapped
    in the C allocator's cache, which writes only its first 16 bytes), no digit is left."""
    import ctypes

    generated = strongroom._generated
    lib, call = generated._UniffiLib, generated._uniffi_rust_call
    size = 256
    buffer = call(lib.ffi_strongroom_ffi_rustbuffer_alloc, size)
    address = ctypes.cast(buffer.data, ctypes.c_void_p).value
    ctypes.memmove(address, (VISA * size)[:size].encode(), size)
    buffer.len = size
    assert VISA.encode() in ctypes.string_at(address, size)
    call(lib.ffi_strongroom_ffi_rustbuffer_free, buffer)
    left = ctypes.string_at(address, size)
    assert VISA[:8].encode() not in left and left[16:] == bytes(size - 16)
