package raft

import (
	"context"
	"fmt"
	"log/slog"
)

// slogLogger adapts slog to raft.Logger. Raft's Info chatter (term changes,
// votes) goes to Debug; the driver logs the events operators care about.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Debug(v ...any)                 { s.log(slog.LevelDebug, fmt.Sprint(v...)) }
func (s slogLogger) Debugf(f string, v ...any)      { s.log(slog.LevelDebug, fmt.Sprintf(f, v...)) }
func (s slogLogger) Info(v ...any)                  { s.log(slog.LevelDebug, fmt.Sprint(v...)) }
func (s slogLogger) Infof(f string, v ...any)       { s.log(slog.LevelDebug, fmt.Sprintf(f, v...)) }
func (s slogLogger) Warning(v ...any)               { s.log(slog.LevelWarn, fmt.Sprint(v...)) }
func (s slogLogger) Warningf(f string, v ...any)    { s.log(slog.LevelWarn, fmt.Sprintf(f, v...)) }
func (s slogLogger) Error(v ...any)                 { s.log(slog.LevelError, fmt.Sprint(v...)) }
func (s slogLogger) Errorf(f string, v ...any)      { s.log(slog.LevelError, fmt.Sprintf(f, v...)) }
func (s slogLogger) Fatal(v ...any)                 { s.Panic(v...) }
func (s slogLogger) Fatalf(f string, v ...any)      { s.Panicf(f, v...) }
func (s slogLogger) Panic(v ...any)                 { m := fmt.Sprint(v...); s.log(slog.LevelError, m); panic(m) }
func (s slogLogger) Panicf(f string, v ...any)      { s.Panic(fmt.Sprintf(f, v...)) }
func (s slogLogger) log(level slog.Level, m string) { s.l.Log(context.Background(), level, m) }
