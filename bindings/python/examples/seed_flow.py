"""The hosted vault's server-to-server tokenization flow, in-process, from Python.

create a customer → save a card (get the payment method id, the token) → retrieve it
masked → update holder name / nick name / CVC → list the customer's cards → delete.

Run: bash bindings/python/run.sh example
"""

import os
import tempfile

import strongroom


def masked(pm: strongroom.PaymentMethod) -> str:
    c = pm.card
    return (
        f"{pm.id} {c.card_isin}…{c.last4_digits} exp {c.expiry_month:02}/{c.expiry_year} "
        f"({c.card_network}), holder {c.card_holder_name!r}, nick {c.nick_name!r}, "
        f"CVC stored: {pm.card_cvc_token_storage.is_stored}"
    )


def main() -> None:
    tmp = tempfile.TemporaryDirectory(prefix="strongroom-py-demo-")
    path = os.path.join(tmp.name, "vault")
    # A demo key; a real host fetches its master key from a KMS.
    with tmp, strongroom.open_vault(path, os.urandom(32), "demo") as vault:
        print(f"Opened a vault in {path}")
        vault.create_profile("pro_demo", "merchant_demo", strongroom.ProfileSettings(cvc_ttl_seconds=900))
        scope = vault.profile("pro_demo")

        customer = scope.create_customer(
            strongroom.CustomerCreate(
                merchant_reference_id="customer_1770299", name="John Doe", email="guest@example.com"
            )
        )
        print(f"1. create customer      → {customer.id} ({customer.name}, {customer.email})")

        created = scope.create_payment_method(
            strongroom.PaymentMethodCreate(
                customer_id=customer.id,
                card=strongroom.CardInput(
                    card_number="4111111111111111",
                    card_exp_month="03",
                    card_exp_year="2030",
                    card_holder_name="joseph Doe",
                    card_cvc="737",
                ),
            )
        )
        pm_id = created.payment_method.id
        print(f"2. create card          → token {pm_id} (duplicate: {created.duplicate})")
        print(f"3. retrieve (masked)    → {masked(scope.retrieve_payment_method(pm_id))}")

        updated = scope.update_payment_method(
            pm_id, strongroom.PaymentMethodUpdate(card_holder_name="joseph", nick_name="some_name11", card_cvc="737")
        )
        print(f"4. update holder/nick/CVC → {masked(updated)}")

        page = scope.list_payment_methods(customer.id, None, None)
        print(f"5. list                 → {[masked(pm) for pm in page.payment_methods]}")

        print(f"6. delete               → {scope.delete_payment_method(pm_id)} deleted")
        print(f"   list after delete    → {len(scope.list_payment_methods(customer.id, None, None).payment_methods)} cards")


if __name__ == "__main__":
    main()
