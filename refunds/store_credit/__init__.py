"""Store credit (SPEC §10): value given back as a code for the retailer's store instead of
money to the original payments. Issued for cancellations, returns and disputes, so it
lives here, below all of them, beside the refunds it mirrors."""
