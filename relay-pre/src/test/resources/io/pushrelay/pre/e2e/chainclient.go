// A push sender written with Go's standard library only (net/http: HTTP/2 when TLS ALPN offers
// it): POSTs one notification per line of PLAN ("APNS-ID TOKEN") to BASE/3/device/TOKEN with an
// APNS provider token, at most IN_FLIGHT at once, and prints one line per answer:
// "APNS-ID-SENT STATUS PROTO APNS-ID-ANSWERED BODY", or "APNS-ID-SENT ERROR message".
// Trusts SSL_CERT_FILE; resolves BASE's host through /etc/hosts like any Go program.
//
// usage: chainclient BASE AUTHORIZATION TOPIC PLAN IN_FLIGHT
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: chainclient BASE AUTHORIZATION TOPIC PLAN IN_FLIGHT")
		os.Exit(2)
	}
	base, authorization, topic := os.Args[1], os.Args[2], os.Args[3]
	inFlight, err := strconv.Atoi(os.Args[5])
	if err != nil || inFlight < 1 {
		fmt.Fprintln(os.Stderr, "IN_FLIGHT:", os.Args[5])
		os.Exit(2)
	}
	plan, err := os.Open(os.Args[4])
	if err != nil {
		fmt.Fprintln(os.Stderr, "PLAN:", err)
		os.Exit(2)
	}
	defer plan.Close()
	client := &http.Client{Timeout: 20 * time.Second}
	window := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	scanner := bufio.NewScanner(plan)
	for i := 0; scanner.Scan(); i++ {
		fields := strings.Fields(scanner.Text())
		if len(fields) != 2 {
			continue
		}
		apnsID, token := fields[0], fields[1]
		window <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-window }()
			body := fmt.Sprintf(`{"aps":{"alert":"from go %d"}}`, i)
			req, err := http.NewRequest("POST", base+"/3/device/"+token, bytes.NewBufferString(body))
			if err != nil {
				panic(err)
			}
			req.Header.Set("authorization", authorization)
			req.Header.Set("apns-topic", topic)
			req.Header.Set("apns-push-type", "alert")
			req.Header.Set("apns-id", apnsID)
			resp, err := client.Do(req)
			var line string
			if err != nil {
				line = fmt.Sprintf("%s ERROR %v\n", apnsID, err)
			} else {
				answer, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				line = fmt.Sprintf("%s %d %s %s %s\n", apnsID, resp.StatusCode, resp.Proto,
					resp.Header.Get("apns-id"), bytes.TrimSpace(answer))
			}
			mu.Lock()
			out.WriteString(line)
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	out.Flush()
}
