// A push sender written with Go's standard library only: POSTs COUNT notifications at once to
// URL, with an APNS provider token, and prints one line per answer:
// "STATUS PROTO APNS-ID BODY", or "ERROR message". Trusts SSL_CERT_FILE; resolves the URL's
// host through /etc/hosts like any Go program.
//
// usage: goclient URL AUTHORIZATION TOPIC COUNT
package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: goclient URL AUTHORIZATION TOPIC COUNT")
		os.Exit(2)
	}
	url, authorization, topic := os.Args[1], os.Args[2], os.Args[3]
	count, err := strconv.Atoi(os.Args[4])
	if err != nil {
		fmt.Fprintln(os.Stderr, "COUNT:", err)
		os.Exit(2)
	}
	client := &http.Client{Timeout: 20 * time.Second}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := 0; i < count; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := fmt.Sprintf(`{"aps":{"alert":"from go %d"}}`, i)
			req, err := http.NewRequest("POST", url, bytes.NewBufferString(body))
			if err != nil {
				panic(err)
			}
			req.Header.Set("authorization", authorization)
			req.Header.Set("apns-topic", topic)
			req.Header.Set("apns-push-type", "alert")
			resp, err := client.Do(req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fmt.Printf("ERROR %v\n", err)
				return
			}
			defer resp.Body.Close()
			answer, _ := io.ReadAll(resp.Body)
			fmt.Printf("%d %s %s %s\n", resp.StatusCode, resp.Proto, resp.Header.Get("apns-id"),
				bytes.TrimSpace(answer))
		}(i)
	}
	wg.Wait()
}
