package drill

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// emulator is a moto_server on a free loopback port, serving TLS with a
// certificate made for it (the state bucket accepts TLS only, and the SDKs
// and Terraform trust the certificate through AWS_CA_BUNDLE).
type emulator struct {
	cmd      *exec.Cmd
	Endpoint string // https://127.0.0.1:<port>
	CABundle string // PEM of the server's certificate
	KeyFile  string // its private key
	log      string
	fakes    *fakes    // what moto lacks, answered by every proxy in front of this emulator
	service  *recorder // the proxy AWS's own calls go through (the rotation fake's)
}

// startEmulator starts moto_server in dir for account and waits until it answers.
func startEmulator(dir, account string) (*emulator, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server is not on PATH (moto 5.2.1 is part of the machine image): %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	certFile, keyFile := filepath.Join(dir, "emulator.crt"), filepath.Join(dir, "emulator.key")
	if err := writeCertificate(certFile, keyFile); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	e := &emulator{Endpoint: fmt.Sprintf("https://127.0.0.1:%d", port), CABundle: certFile, KeyFile: keyFile, log: filepath.Join(dir, "emulator.log"), fakes: newFakes()}
	logFile, err := os.Create(e.log)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	e.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port), "-c", certFile, "-k", keyFile)
	e.cmd.Env = append(withoutAWS(os.Environ()), "MOTO_ACCOUNT_ID="+account) // not another emulator's endpoint
	e.cmd.Stdout, e.cmd.Stderr = logFile, logFile
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // stopped with its children
	if err := e.cmd.Start(); err != nil {
		return nil, err
	}
	if err := e.waitReady(30 * time.Second); err != nil {
		e.Stop()
		return nil, err
	}
	if e.service, err = startRecorder(e, false); err != nil {
		e.Stop()
		return nil, err
	}
	e.fakes.rotation.backend = e.account
	return e, nil
}

// account is the emulator's account in region as AWS itself reaches it:
// through the service proxy (so it sees the fakes, and is never recorded).
func (e *emulator) account(region string) rotationBackend {
	ca, err := os.ReadFile(e.CABundle)
	if err != nil {
		return failingBackend{err}
	}
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion(region),
		awsconfig.WithBaseEndpoint(e.service.Endpoint), awsconfig.WithCustomCABundle(bytes.NewReader(ca)),
		awsconfig.WithCredentialsProvider(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "drill", SecretAccessKey: "drill", Source: "drill"}, nil
		})))
	if err != nil {
		return failingBackend{err}
	}
	return accountBackend{cfg: cfg}
}

func (e *emulator) waitReady(limit time.Duration) error {
	pem, err := os.ReadFile(e.CABundle)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := client.Get(e.Endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	log, _ := os.ReadFile(e.log)
	return fmt.Errorf("the emulator did not answer at %s within %s:\n%s", e.Endpoint, limit, log)
}

// Stop ends the emulator's process group.
func (e *emulator) Stop() {
	if e.service != nil {
		e.service.Stop()
	}
	if e.cmd == nil || e.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = e.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// withoutAWS is env without any AWS_ variable (a developer's own profile or
// credentials must never reach the drill).
func withoutAWS(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return out
}

// Env is what points Terraform, the AWS SDKs and the aws CLI at the emulator.
func (e *emulator) Env(region string) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + e.Endpoint, "AWS_CA_BUNDLE=" + e.CABundle, "AWS_REGION=" + region, "AWS_DEFAULT_REGION=" + region,
		"AWS_ACCESS_KEY_ID=drill", "AWS_SECRET_ACCESS_KEY=drill", "AWS_EC2_METADATA_DISABLED=true",
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("not a TCP address")
	}
	return addr.Port, nil
}

// writeCertificate makes a self-signed certificate for 127.0.0.1.
func writeCertificate(certFile, keyFile string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
}
