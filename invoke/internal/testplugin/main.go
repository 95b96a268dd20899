// Command testplugin is a CNI plugin stand-in used by the invoke tests. Its
// behaviour is chosen by the "test" object of the configuration it reads on
// stdin; see testConf.
//
// Run as "testplugin sleep DURATION" it only sleeps (used as a grandchild).
// When CNI_COMMAND is VERSION it reports its supported versions, or, when
// its file name starts with "old", answers like a plugin that predates the
// VERSION command.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// testConf is the "test" member of the configuration.
type testConf struct {
	// Mode: "" (print Stdout/Stderr, exit with Exit), "env" (also dump the
	// environment and stdin to EnvFile), "hang" (start a grandchild, write
	// its pid to PIDFile, sleep), "orphan" (start a grandchild holding
	// stdout/stderr open, write its pid, then behave like ""), "flood"
	// (write StdoutBytes bytes to stdout), "kill" (kill itself).
	Mode        string `json:"mode"`
	Exit        int    `json:"exit"`
	Stdout      string `json:"stdout"`
	Stderr      string `json:"stderr"`
	StderrBytes int    `json:"stderrBytes"`
	StdoutBytes int64  `json:"stdoutBytes"`
	PIDFile     string `json:"pidFile"`
	EnvFile     string `json:"envFile"`
}

// Dump is what the "env" mode writes to EnvFile.
type Dump struct {
	Env   []string `json:"env"`
	Stdin string   `json:"stdin"`
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "sleep" {
		d, _ := time.ParseDuration(os.Args[2])
		time.Sleep(d)
		return
	}
	stdin, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	if os.Getenv("CNI_COMMAND") == "VERSION" {
		if strings.HasPrefix(filepath.Base(os.Args[0]), "old") {
			fmt.Print(`{"code":4,"msg":"unknown CNI_COMMAND: VERSION"}`)
			os.Exit(1)
		}
		fmt.Print(`{"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}`)
		return
	}
	var conf struct {
		Test testConf `json:"test"`
	}
	if err := json.Unmarshal(stdin, &conf); err != nil {
		fail(err)
	}
	t := conf.Test
	switch t.Mode {
	case "env":
		env := os.Environ()
		sort.Strings(env)
		b, _ := json.Marshal(Dump{Env: env, Stdin: string(stdin)})
		if err := os.WriteFile(t.EnvFile, b, 0o600); err != nil {
			fail(err)
		}
	case "hang":
		startGrandchild(t.PIDFile, false)
		time.Sleep(time.Hour)
	case "orphan":
		startGrandchild(t.PIDFile, true)
	case "flood":
		chunk := []byte(strings.Repeat("x", 64<<10))
		for n := int64(0); n < t.StdoutBytes; n += int64(len(chunk)) {
			if _, err := os.Stdout.Write(chunk); err != nil {
				os.Exit(3)
			}
		}
		return
	case "kill":
		p, _ := os.FindProcess(os.Getpid())
		_ = p.Kill()
		time.Sleep(time.Hour)
	}
	fmt.Fprint(os.Stdout, t.Stdout)
	fmt.Fprint(os.Stderr, t.Stderr)
	if t.StderrBytes > 0 {
		fmt.Fprint(os.Stderr, "BEGIN")
		fmt.Fprint(os.Stderr, strings.Repeat("e", t.StderrBytes))
		fmt.Fprint(os.Stderr, "END")
	}
	os.Exit(t.Exit)
}

// startGrandchild starts a sleeping copy of this program and writes its pid
// to pidFile. With holdPipes it inherits stdout and stderr.
func startGrandchild(pidFile string, holdPipes bool) {
	self, err := os.Executable()
	if err != nil {
		fail(err)
	}
	c := exec.Command(self, "sleep", "30s")
	if holdPipes {
		c.Stdout, c.Stderr = os.Stdout, os.Stderr
	}
	if err := c.Start(); err != nil {
		fail(err)
	}
	tmp := pidFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(c.Process.Pid)), 0o600); err != nil {
		fail(err)
	}
	if err := os.Rename(tmp, pidFile); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Printf(`{"code":999,"msg":%q}`, err.Error())
	os.Exit(1)
}
