package policy

// S3BucketBlocksPublicAccess: all four public access blocks are on.
var S3BucketBlocksPublicAccess = Rule{
	Name: "S3BucketBlocksPublicAccess", Control: "FSBP S3.8",
	Fix: "add an aws_s3_bucket_public_access_block with all four settings true",
	Check: only("aws_s3_bucket", func(r Resource, s *Stack) (Outcome, string) {
		for _, b := range s.All("aws_s3_bucket_public_access_block") {
			if stringAt(b.Body, "bucket") != "${aws_s3_bucket."+r.Name+".id}" {
				continue
			}
			return verdict(boolAt(b.Body, "block_public_acls") && boolAt(b.Body, "block_public_policy") &&
				boolAt(b.Body, "ignore_public_acls") && boolAt(b.Body, "restrict_public_buckets"), "a public access block setting is off")
		}
		return NonCompliant, "no public access block"
	}),
}
