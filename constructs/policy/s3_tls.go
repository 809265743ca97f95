package policy

// S3BucketRequiresTLS: the bucket policy denies every request without TLS.
var S3BucketRequiresTLS = Rule{
	Name: "S3BucketRequiresTLS", Control: "FSBP S3.5",
	Fix: `add a bucket policy statement denying s3:* when aws:SecureTransport is "false"`,
	Check: only("aws_s3_bucket", func(r Resource, s *Stack) (Outcome, string) {
		for _, p := range s.All("aws_s3_bucket_policy") {
			if stringAt(p.Body, "bucket") != "${aws_s3_bucket."+r.Name+".id}" {
				continue
			}
			doc, ok := s.Lookup(stringAt(p.Body, "policy"))
			if !ok {
				continue
			}
			list, _ := doc["statement"].([]any)
			for _, raw := range list {
				st, _ := raw.(map[string]any)
				if st["effect"] != "Deny" {
					continue
				}
				conds, _ := st["condition"].([]any)
				for _, c := range conds {
					cm, _ := c.(map[string]any)
					if cm["variable"] == "aws:SecureTransport" && len(stringList(cm["values"])) == 1 && stringList(cm["values"])[0] == "false" {
						return Compliant, ""
					}
				}
			}
		}
		return NonCompliant, "no bucket policy denies requests without TLS"
	}),
}
