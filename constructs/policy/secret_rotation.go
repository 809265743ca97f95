package policy

// SecretsManagerRotation: every secret rotates automatically.
var SecretsManagerRotation = Rule{
	Name: "SecretsManagerRotation", Control: "FSBP SecretsManager.1",
	Fix: "add an aws_secretsmanager_secret_rotation for the secret (salt.New does)",
	Check: only("aws_secretsmanager_secret", func(r Resource, s *Stack) (Outcome, string) {
		for _, rot := range s.All("aws_secretsmanager_secret_rotation") {
			if stringAt(rot.Body, "secret_id") == "${aws_secretsmanager_secret."+r.Name+".id}" &&
				(stringAt(rot.Body, "rotation_rules", "schedule_expression") != "" || get(rot.Body, "rotation_rules", "automatically_after_days") != nil) {
				return Compliant, ""
			}
		}
		return NonCompliant, "no automatic rotation is configured"
	}),
}
