// Command yamlcheck reads YAML the way kubectl, Argo CD and Flux do and prints its JSON form.
//
// Each YAML stream is split into documents by k8s.io/apimachinery's YAML reader (kubectl's
// splitter) and every document is converted with sigs.k8s.io/yaml.YAMLToJSONStrict (the
// strict form of what kubectl sends to the API server: a duplicate key is an error too).
//
//	yamlcheck FILE...      one result per file
//	yamlcheck < in.json    in.json is a JSON array of YAML texts; one result per text
//
// Output: a JSON array with, per input, {"docs": [document as JSON, ...]} or {"error": "..."}.
// Documents that are only blank lines or comments are skipped, as kubectl skips them.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

type result struct {
	Docs  []json.RawMessage `json:"docs,omitempty"`
	Error string            `json:"error,omitempty"`
}

func convert(text []byte) result {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(text)))
	docs := []json.RawMessage{}
	for {
		chunk, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return result{Docs: docs}
		}
		if err != nil {
			return result{Error: err.Error()}
		}
		if blank(chunk) {
			continue
		}
		out, err := yaml.YAMLToJSONStrict(chunk)
		if err != nil {
			return result{Error: fmt.Sprintf("document %d: %v", len(docs)+1, err)}
		}
		docs = append(docs, json.RawMessage(out))
	}
}

// blank: only whitespace and comment lines.
func blank(chunk []byte) bool {
	for _, line := range bytes.Split(chunk, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] != '#' {
			return false
		}
	}
	return true
}

func inputs(args []string) ([][]byte, error) {
	if len(args) == 0 {
		var texts []string
		if err := json.NewDecoder(os.Stdin).Decode(&texts); err != nil {
			return nil, fmt.Errorf("stdin: expected a JSON array of strings: %w", err)
		}
		out := make([][]byte, len(texts))
		for i, t := range texts {
			out[i] = []byte(t)
		}
		return out, nil
	}
	out := make([][]byte, len(args))
	for i, name := range args {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func main() {
	texts, err := inputs(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "yamlcheck:", err)
		os.Exit(2)
	}
	results := make([]result, len(texts))
	for i, t := range texts {
		results[i] = convert(t)
	}
	w := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(w)
	if err := enc.Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, "yamlcheck:", err)
		os.Exit(2)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "yamlcheck:", err)
		os.Exit(2)
	}
}
