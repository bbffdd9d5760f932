// Command bench measures one Client (one connection) with 16 goroutines, each with one VALIDATE of a
// full card in flight:
//
//	go run ./cmd/bench [SOCKET] [SECONDS]
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	cardcheck "github.com/cardcheck/cardcheck/clients/go"
)

func main() {
	socket, seconds := cardcheck.DefaultSocket, 5.0
	if len(os.Args) > 1 {
		socket = os.Args[1]
	}
	if len(os.Args) > 2 {
		seconds, _ = strconv.ParseFloat(os.Args[2], 64)
	}
	client := cardcheck.New(socket, cardcheck.Options{})
	defer client.Close()
	request := cardcheck.ValidateRequest{PAN: cardcheck.String("4111 1111 1111 1111"), Expiry: cardcheck.String("12/30"),
		CSC: cardcheck.String("123"), Street: cardcheck.String("1 Main St"), PostalCode: cardcheck.String("12345"),
		OnFileStreet: cardcheck.String("1 Main Street"), OnFilePostalCode: cardcheck.String("12345")}
	if _, err := client.Validate(context.Background(), request); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var count, failures int64
	deadline := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	started := time.Now()
	var wait sync.WaitGroup
	for i := 0; i < 16; i++ {
		wait.Add(1)
		go func() {
			defer wait.Done()
			for time.Now().Before(deadline) {
				if _, err := client.Validate(context.Background(), request); err != nil {
					atomic.AddInt64(&failures, 1)
				}
				atomic.AddInt64(&count, 1)
			}
		}()
	}
	wait.Wait()
	elapsed := time.Since(started).Seconds()
	fmt.Printf("go %s, one connection, 16 goroutines, VALIDATE of a full card: %.0f requests/s (%d failed)\n",
		runtime.Version(), float64(count)/elapsed, failures)
}
