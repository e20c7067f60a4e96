package io.pushrelay.certs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A Go standard-library HTTPS client, built from source into a temp folder: {@code client URL
 * ADDR} dials ADDR whatever the URL's host (so the host name is verified as in the URL) and
 * prints {@code STATUS BODY}, or the error and exit 1. Roots come from Go's system pool, which
 * reads only SSL_CERT_FILE (and SSL_CERT_DIR, pointed at an empty folder) when they are set.
 */
final class GoClient {
    private static final String SOURCE = """
            package main

            import (
            	"context"
            	"fmt"
            	"io"
            	"net"
            	"net/http"
            	"os"
            	"time"
            )

            func main() {
            	url, addr := os.Args[1], os.Args[2]
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
            """;

    private final Path dir;
    private final Path binary;

    private GoClient(Path dir, Path binary) {
        this.dir = dir;
        this.binary = binary;
    }

    static GoClient build(Path dir) throws Exception {
        String go = Programs.require("go");
        Files.createDirectories(dir.resolve("home"));
        Files.writeString(dir.resolve("main.go"), SOURCE);
        Programs.Result built = Programs.run(dir, goEnv(dir), Duration.ofSeconds(120),
                List.of(go, "build", "-o", "client", "main.go"));
        assertEquals(0, built.code(), () -> "go build failed\n" + built);
        return new GoClient(dir, dir.resolve("client"));
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
                Duration.ofSeconds(30), List.of(binary.toString(), url, "127.0.0.1:" + port));
    }
}
