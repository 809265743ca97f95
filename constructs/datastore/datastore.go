package datastore

import (
	"errors"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ssmparameter"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/constructs/cmk"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

// Index names the application queries by.
const (
	RuleIndex    = "rule-index"
	FindingIndex = "finding-index"
)

// NoncePlaceholder is the value the nonce parameter is created with. It is not
// a secret: operators replace it out of band. It is written through the
// provider's write-only value_wo argument (Terraform >= 1.11), so neither it nor
// the real value that replaces it is ever kept in state or in a plan file.
const NoncePlaceholder = "unset-replace-out-of-band"

// NonceWriteVersion is value_wo_version: Terraform writes value_wo again only
// when this number changes, so the value set out of band is never overwritten.
const NonceWriteVersion = 1

// Props configures the data store of one environment.
type Props struct {
	// Names names the tables and the nonce parameter (Project and Environment required).
	Names names.Env
	// Key encrypts the tables and the nonce parameter. Required.
	Key *cmk.Key
	// WithoutDeletionProtection turns DynamoDB deletion protection off on every
	// table (default: on). The caller that sets it also records why, by
	// suppressing policy.DynamoDBDeletionProtection on each table.
	WithoutDeletionProtection bool
	// Destroyable leaves lifecycle.prevent_destroy off on the tables and the
	// parameter (default: Terraform refuses to destroy them).
	Destroyable bool
}

// DataStore is the four tables and the redaction nonce parameter.
type DataStore struct {
	constructs.Construct
	ConsentTable      *Table
	CalibrationTable  *Table
	FPEventsTable     *Table
	BlockCounterTable *Table
	nonce             ssmparameter.SsmParameter
}

// New creates the data store with the names and schemas the application depends on.
func New(scope constructs.Construct, id string, props Props) (*DataStore, error) {
	switch {
	case props.Names.Project == "":
		return nil, errors.New("datastore.Props.Names.Project is required")
	case props.Names.Environment == "":
		return nil, errors.New("datastore.Props.Names.Environment is required")
	case props.Key == nil:
		return nil, errors.New("datastore.Props.Key is required")
	}
	d := &DataStore{}
	constructs.NewConstruct_Override(d, scope, jsii.String(id))
	str := func(name string) Attribute { return Attribute{Name: name, Type: "S"} }
	table := func(id string, p TableProps) (*Table, error) {
		p.Key, p.WithoutDeletionProtection, p.Destroyable = props.Key, props.WithoutDeletionProtection, props.Destroyable
		return NewTable(d, id, p)
	}
	var err error
	if d.ConsentTable, err = table("consent", TableProps{
		Name:         props.Names.ConsentTable(),
		PartitionKey: str("orgId"),
		// The application writes expiresAt as an ISO-8601 string, which TTL ignores:
		// see docs/architecture.md, "Consent expiry".
		TTLAttribute: "expiresAt",
	}); err != nil {
		return nil, err
	}
	if d.CalibrationTable, err = table("calibration", TableProps{
		Name:         props.Names.CalibrationTable(),
		PartitionKey: str("id"),
		Indexes:      []Index{{Name: RuleIndex, PartitionKey: str("ruleId")}},
	}); err != nil {
		return nil, err
	}
	if d.FPEventsTable, err = table("fp_events", TableProps{
		Name:         props.Names.FPEventsTable(),
		PartitionKey: str("id"),
		Indexes:      []Index{{Name: FindingIndex, PartitionKey: str("findingId")}, {Name: RuleIndex, PartitionKey: str("ruleId")}},
	}); err != nil {
		return nil, err
	}
	sortKey := str("ruleId")
	if d.BlockCounterTable, err = table("block_counter", TableProps{
		Name:         props.Names.BlockCounterTable(),
		PartitionKey: str("bucketKey"),
		SortKey:      &sortKey,
		TTLAttribute: "ttl",
	}); err != nil {
		return nil, err
	}

	var lifecycle *cdktf.TerraformResourceLifecycle
	if !props.Destroyable {
		lifecycle = &cdktf.TerraformResourceLifecycle{PreventDestroy: jsii.Bool(true)}
	}
	d.nonce = ssmparameter.NewSsmParameter(d, jsii.String("redaction_nonce"), &ssmparameter.SsmParameterConfig{
		Name:        jsii.String(props.Names.NonceParameter()),
		Description: jsii.String("Redaction nonce of the Phase Mirror FP Calibration Service. Set out of band; Terraform never overwrites it."),
		Type:        jsii.String("SecureString"),
		KeyId:       props.Key.Arn(),
		Lifecycle:   lifecycle,
	})
	// provider-aws-go v19 (AWS provider 5.84) predates the write-only arguments.
	d.nonce.AddOverride(jsii.String("value_wo"), jsii.String(NoncePlaceholder))
	d.nonce.AddOverride(jsii.String("value_wo_version"), jsii.Number(NonceWriteVersion))
	// An adopted parameter has no value_wo_version in its imported state: a
	// change of it would write the placeholder over the operators' nonce. The
	// version never changes on purpose, so Terraform never writes value_wo
	// after the create; other updates send the value it read back (the
	// provider's update), and the state drops it once the update has run.
	d.nonce.AddOverride(jsii.String("lifecycle.ignore_changes"), []string{"value_wo_version"})
	return d, nil
}

// Tables lists the four tables in a stable order.
func (d *DataStore) Tables() []*Table {
	return []*Table{d.ConsentTable, d.CalibrationTable, d.FPEventsTable, d.BlockCounterTable}
}

// NonceParameterName is the SSM name of the redaction nonce.
func (d *DataStore) NonceParameterName() *string { return d.nonce.Name() }
