import { defineSearchAttributeKey } from "@temporalio/common";

// Searchable in the Temporal UI by operations staff. Never personal data: these are stored unencrypted.
export const PaymentIdKey = defineSearchAttributeKey("PaymentId", "KEYWORD");
export const AgencyCodeKey = defineSearchAttributeKey("AgencyCode", "KEYWORD");
export const DossierCodeKey = defineSearchAttributeKey("DossierCode", "KEYWORD");
export const ConnectorKey = defineSearchAttributeKey("Connector", "KEYWORD");
export const PaymentStatusKey = defineSearchAttributeKey("PaymentStatus", "KEYWORD");
