package io.pushrelay.certs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A Go standard-library program, built from source into a temp folder. {@code get URL ADDR}
 * is an HTTPS client that dials ADDR whatever the URL's host (so the host name is verified as
 * in the URL) and prints {@code STATUS BODY}, or the error and exit 1; its roots come from Go's
 * system pool, which reads only SSL_CERT_FILE (and SSL_CERT_DIR, pointed at an empty folder).
 * {@code verify CA CERT server|client} runs crypto/x509's Verify, as a Go TLS server does for
 * a client certificate (or a client for a server's), and prints OK or the error and exit 1.
 */
final class GoProgram {
    private static final String SOURCE = """
            package main

            import (
            	"context"
            	"crypto/x509"
            	"encoding/pem"
            	"fmt"
            	"io"
            	"net"
            	"net/http"
            	"os"
            	"time"
            )

            func main() {
            	if os.Args[1] == "verify" {
            		verify(os.Args[2], os.Args[3], os.Args[4])
            		return
            	}
            	url, addr := os.Args[2], os.Args[3]
            	transport := &http.Transport{
            		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
            			return (&net.Dialer{}).DialContext(ctx, network, addr)
            		},
            	}
            	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
            	response, err := client.Get(url)
            	if err != nil {
            		fmt.Fprintln(os.Stderr, err)
            		os.Exit(1)
            	}
            	defer response.Body.Close()
            	body, err := io.ReadAll(response.Body)
            	if err != nil {
            		fmt.Fprintln(os.Stderr, err)
            		os.Exit(1)
            	}
            	fmt.Printf("%d %s", response.StatusCode, body)
            }

            func verify(caFile, certFile, purpose string) {
            	roots := x509.NewCertPool()
            	caPEM, err := os.ReadFile(caFile)
            	if err != nil || !roots.AppendCertsFromPEM(caPEM) {
            		fmt.Fprintln(os.Stderr, "cannot read CA", caFile, err)
            		os.Exit(1)
            	}
            	data, err := os.ReadFile(certFile)
            	block, _ := pem.Decode(data)
            	if err != nil || block == nil {
            		fmt.Fprintln(os.Stderr, "cannot read certificate", certFile, err)
            		os.Exit(1)
            	}
            	cert, err := x509.ParseCertificate(block.Bytes)
            	if err != nil {
            		fmt.Fprintln(os.Stderr, err)
            		os.Exit(1)
            	}
            	usage := x509.ExtKeyUsageServerAuth
            	if purpose == "client" {
            		usage = x509.ExtKeyUsageClientAuth
            	}
            	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
            		fmt.Fprintln(os.Stderr, err)
            		os.Exit(1)
            	}
            	fmt.Println("OK")
            }
            """;

    private final Path dir;
    private final Path binary;

    private GoProgram(Path dir, Path binary) {
        this.dir = dir;
        this.binary = binary;
    }

    static GoProgram build(Path dir) throws Exception {
        String go = Programs.require("go");
        Files.createDirectories(dir.resolve("home"));
        Files.writeString(dir.resolve("main.go"), SOURCE);
        Programs.Result built = Programs.run(dir, goEnv(dir), Duration.ofSeconds(120),
                List.of(go, "build", "-o", "program", "main.go"));
        assertEquals(0, built.code(), () -> "go build failed\n" + built);
        return new GoProgram(dir, dir.resolve("program"));
    }

    private static Map<String, String> goEnv(Path dir) {
        return Map.of(
                "GO111MODULE", "off",
                "GOCACHE", dir.resolve("home/gocache").toString(),
                "GOPATH", dir.resolve("home/gopath").toString(),
                "HOME", dir.resolve("home").toString(),
                "GOFLAGS", "");
    }

    /** GET url over a connection to 127.0.0.1:port, trusting only caPem. */
    Programs.Result get(String url, int port, Path caPem) throws Exception {
        Path noDir = Files.createDirectories(dir.resolve("no-cert-dir"));
        return Programs.run(dir, Map.of("SSL_CERT_FILE", caPem.toString(), "SSL_CERT_DIR", noDir.toString()),
                Duration.ofSeconds(30), List.of(binary.toString(), "get", url, "127.0.0.1:" + port));
    }

    /** crypto/x509 Verify of the first certificate in certPem against caPem, for "server" or "client" use. */
    Programs.Result verify(Path caPem, Path certPem, String purpose) {
        return Programs.run(dir, Map.of(), Duration.ofSeconds(30),
                List.of(binary.toString(), "verify", caPem.toString(), certPem.toString(), purpose));
    }
}
