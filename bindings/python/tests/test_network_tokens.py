"""Network tokens from Python: the built-in simulator, and a provider written in Python."""

import threading

import pytest

import strongroom
from conftest import MASTER_KEY, VISA, new_card

E = strongroom.StrongroomError


def luhn_complete(body: str) -> str:
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


class RecordingProvider(strongroom.NetworkTokenProvider):
    """A host provider: records every call, fails on demand (typed or with any exception)."""

    def __init__(self):
        self.calls = []
        self.fail_with = None
        self.lock = threading.Lock()
        self.serial = 0

    def _enter(self, what, *args):
        with self.lock:
            self.calls.append((what, *args))
            failure, self.fail_with = self.fail_with, None
        if failure is not None:
            raise failure

    def provision(self, request):
        self._enter("provision", request.payment_method_id, request.card_number)
        with self.lock:
            self.serial += 1
            serial = self.serial
        return strongroom.ProvisionedToken(
            token_number=luhn_complete("489537" + str(serial).rjust(9, "0")),
            expiry_month=11,
            expiry_year=2031,
            token_ref=f"py_ref_{serial}",
            status=strongroom.NetworkTokenStatus.ACTIVE,
        )

    def status(self, token_ref):
        self._enter("status", token_ref)
        return strongroom.NetworkTokenStatus.ACTIVE

    def delete(self, token_ref):
        self._enter("delete", token_ref)

    def cryptogram(self, token_ref, amount_minor, currency):
        self._enter("cryptogram", token_ref, amount_minor, currency)
        return strongroom.NetworkCryptogram(cryptogram=f"cg-{token_ref}-{amount_minor}{currency}", eci="05")


def tokenized(scope, customer_id, number=VISA):
    request = new_card(customer_id, number)
    request.network_tokenization = True
    return scope.create_payment_method(request).payment_method


def open_with(path, provider):
    return strongroom.open_vault(path, MASTER_KEY, "k1", sync_writes=False, network_tokens=provider)


@pytest.fixture
def sim_scope(vault_path):
    simulator = strongroom.NetworkTokenSimulator(bytes(range(32)))
    with open_with(vault_path, simulator) as vault:
        vault.create_profile("pro_shop", "merchant_shop", None)
        scope = vault.profile("pro_shop")
        yield vault, scope, simulator


def test_simulator_provisions_masks_reveals_and_deletes(sim_scope):
    vault, scope, simulator = sim_scope
    customer = scope.create_customer(strongroom.CustomerCreate(name="A"))
    pm = tokenized(scope, customer.id)
    state = pm.network_token
    assert isinstance(state, strongroom.NetworkTokenState.ACTIVE)
    view = state.token
    assert view.status == strongroom.NetworkTokenStatus.ACTIVE and view.card_network == strongroom.CardNetwork.VISA
    revealed = scope.reveal_payment_method(pm.id)
    number = revealed.network_token_number()
    assert number.startswith("489537") and number[-4:] == view.last4_digits
    for text in (repr(pm), str(pm), repr(scope.retrieve_payment_method(pm.id)), repr(revealed)):
        assert number not in text and number[:12] not in text
    cryptogram = scope.network_cryptogram(pm.id, 1999, "EUR")
    assert len(cryptogram.cryptogram) == 40 and cryptogram.eci == "05"
    scope.delete_payment_method(pm.id)
    assert simulator.deleted() == [view.token_ref]


def test_simulator_failure_does_not_fail_the_create(sim_scope):
    vault, scope, simulator = sim_scope
    customer = scope.create_customer(strongroom.CustomerCreate(name="A"))
    simulator.set_faults(1, 0, 0)
    pm = tokenized(scope, customer.id)
    assert isinstance(pm.network_token, strongroom.NetworkTokenState.MISSING)
    assert pm.network_token.kind == strongroom.ProviderErrorKind.UNAVAILABLE
    assert scope.reveal_payment_method(pm.id).card_number() == VISA
    fixed = scope.provision_network_token(pm.id)
    assert isinstance(fixed.network_token, strongroom.NetworkTokenState.ACTIVE)


def test_a_python_provider_is_called_both_ways(vault_path):
    provider = RecordingProvider()
    with open_with(vault_path, provider) as vault:
        vault.create_profile("pro_shop", "merchant_shop", None)
        scope = vault.profile("pro_shop")
        customer = scope.create_customer(strongroom.CustomerCreate(name="A"))
        pm = tokenized(scope, customer.id)
        # The provider saw the full card (it is the network client) and the payment method id.
        assert provider.calls[0] == ("provision", pm.id, VISA)
        view = pm.network_token.token
        assert view.token_ref == "py_ref_1" and view.expiry_year == 2031
        assert scope.reveal_payment_method(pm.id).network_token_number().startswith("489537")
        assert scope.network_cryptogram(pm.id, 500, "USD").cryptogram == "cg-py_ref_1-500USD"
        assert provider.calls[-1] == ("cryptogram", "py_ref_1", 500, "USD")
        scope.delete_payment_method(pm.id)
        assert provider.calls[-1] == ("delete", "py_ref_1")


def test_host_exceptions_become_typed_errors(vault_path):
    provider = RecordingProvider()
    with open_with(vault_path, provider) as vault:
        vault.create_profile("pro_shop", "merchant_shop", None)
        scope = vault.profile("pro_shop")
        customer = scope.create_customer(strongroom.CustomerCreate(name="A"))

        provider.fail_with = strongroom.ProviderFailure.Declined(reason="card not eligible")
        declined = tokenized(scope, customer.id)
        assert declined.network_token.kind == strongroom.ProviderErrorKind.DECLINED
        assert "not eligible" in declined.network_token.reason

        provider.fail_with = RuntimeError(f"socket closed while sending {VISA}")
        other = tokenized(scope, customer.id, "5555555555554444")
        assert other.network_token.kind == strongroom.ProviderErrorKind.FAILED
        # Any other exception is recorded as a fixed text: not its repr, which holds its message.
        assert other.network_token.reason == "the host's provider raised an unexpected error"

        dotted = ".".join(VISA[i:i + 4] for i in range(0, 16, 4))
        provider.fail_with = strongroom.ProviderFailure.Declined(reason=f"pan {dotted} not eligible")
        echoed = tokenized(scope, customer.id, "4242424242424242")
        assert echoed.network_token.reason == "pan [digits removed] not eligible"

        provider.fail_with = strongroom.ProviderFailure.Unavailable(reason="timeout")
        with pytest.raises(E.NetworkTokenFailure) as ei:
            scope.provision_network_token(declined.id)
        assert ei.value.code == "NT_01" and ei.value.kind == "unavailable" and ei.value.field is None
        assert isinstance(scope.provision_network_token(declined.id).network_token, strongroom.NetworkTokenState.ACTIVE)

        provider.fail_with = ValueError("bad")
        with pytest.raises(E.NetworkTokenFailure) as ei:
            scope.network_cryptogram(declined.id, 100, "EUR")
        assert ei.value.kind == "failed"
        with pytest.raises(E.InvalidValue) as ei:
            scope.network_cryptogram(declined.id, -5, "EUR")
        assert ei.value.field == "amount_minor"


def test_without_a_provider_tokenization_is_invalid(scope, customer):
    request = new_card(customer.id)
    request.network_tokenization = True
    with pytest.raises(E.InvalidValue) as ei:
        scope.create_payment_method(request)
    assert ei.value.field == "network_tokenization"


def test_provider_records_print_masked():
    request = strongroom.TokenProvisionRequest(
        profile_id="pro_a", payment_method_id="pm_x", card_number=VISA, expiry_month=1, expiry_year=2030, card_network=None
    )
    token = strongroom.ProvisionedToken(
        token_number="4895370000000013", expiry_month=1, expiry_year=2030, token_ref="r", status=strongroom.NetworkTokenStatus.ACTIVE
    )
    assert VISA not in repr(request) and VISA not in str(request)
    assert "4895370000000013" not in repr(token) and "4895370000000013" not in str(token)
    cryptogram = strongroom.NetworkCryptogram(cryptogram="AgAAAAAAAIR8CQrXcIhbQAAAAAA=", eci="05")
    assert "AgAAAAAA" not in repr(cryptogram) and "AgAAAAAA" not in str(cryptogram) and "05" in repr(cryptogram)


def test_eight_threads_with_a_python_provider(vault_path):
    provider = RecordingProvider()
    with open_with(vault_path, provider) as vault:
        vault.create_profile("pro_shop", "merchant_shop", None)
        scope = vault.profile("pro_shop")
        customers = [scope.create_customer(strongroom.CustomerCreate(name=f"c{i}")).id for i in range(8)]
        errors, ids = [], []

        def worker(t):
            try:
                for i in range(10):
                    number = luhn_complete(f"4{t:02d}" + str(i).rjust(12, "0"))
                    pm = tokenized(scope, customers[t], number)
                    assert isinstance(pm.network_token, strongroom.NetworkTokenState.ACTIVE)
                    ids.append(pm.id)
            except Exception as e:  # reported on the main thread
                errors.append(repr(e))

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert errors == []
        assert len(set(ids)) == 80
        assert len([c for c in provider.calls if c[0] == "provision"]) == 80


def test_a_refused_cryptogram_is_refused_whatever_the_amount(sim_scope):
    """A key without the reveal right is refused (IR_06, audited) before the amount is
    looked at: a negative amount no longer gets IR_05 instead."""
    vault, scope, simulator = sim_scope
    customer = scope.create_customer(strongroom.CustomerCreate(name="A"))
    pm = tokenized(scope, customer.id)
    created = vault.create_api_key("pro_shop", strongroom.ApiKeyCreate(name="ro", scopes=strongroom.Scopes(read=True)))
    reader = vault.authenticate(created.secret(), "pro_shop")
    for amount in (-1, 0, 100):
        with pytest.raises(E.Forbidden):
            reader.network_cryptogram(pm.id, amount, "EUR")
    refused = [e.outcome for e in vault.list_audit("pro_shop", 0, 1000) if e.action == "network_cryptogram_issued"]
    assert refused == ["IR_06"] * 3
    with pytest.raises(E.InvalidValue) as ei:
        simulator.set_faults(0, 150, 0)
    assert ei.value.field == "fail_percent"
