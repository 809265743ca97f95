package policy

// KMSKeyRotation: customer-managed keys rotate their key material yearly.
var KMSKeyRotation = Rule{
	Name: "KMSKeyRotation", Control: "FSBP KMS.4",
	Fix: "set enable_key_rotation = true (cmk.New always does)",
	Check: only("aws_kms_key", func(r Resource, _ *Stack) (Outcome, string) {
		return verdict(boolAt(r.Body, "enable_key_rotation"), "automatic key rotation is off")
	}),
}
