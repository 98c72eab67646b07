package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/strom-project/strom/internal/broker"
	"github.com/strom-project/strom/internal/config"
)

func newServeCommand() *cobra.Command {
	var (
		file      string
		overrides []string
		logLevel  string
		cpuProf   string
	)
	cmd := &cobra.Command{
		Use:   "serve [server.properties]",
		Short: "Run a Strom node (broker and controller in one process)",
		Long: `Run a Strom node. With no configuration it is a working single-node
cluster on 127.0.0.1:9092 with data in ./strom-data.

Configuration uses Kafka's names: a server.properties file, then
--override key=value pairs (later wins), as kafka-server-start.sh does.
SIGTERM or Ctrl-C shut down cleanly.`,
		Example: `  strom serve
  strom serve --override log.dirs=/var/lib/strom --override listeners=PLAINTEXT://0.0.0.0:9092
  strom serve config/server.properties --override num.partitions=3`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if file != "" {
					return fmt.Errorf("give the properties file either as an argument or with --config, not both")
				}
				file = args[0]
			}
			logger, err := newLogger(logLevel)
			if err != nil {
				return err
			}
			cfg, err := config.Load(file, overrides)
			if err != nil {
				return err
			}
			if cpuProf != "" {
				stop, err := startCPUProfile(cpuProf)
				if err != nil {
					return err
				}
				defer stop()
			}
			return serve(cmd.Context(), cfg, logger)
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "server.properties file")
	cmd.Flags().StringArrayVar(&overrides, "override", nil, "set a config, key=value (repeatable)")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	cmd.Flags().StringVar(&cpuProf, "cpu-profile", "", "write a CPU profile to this file until shutdown")
	cmd.Flags().MarkHidden("cpu-profile")
	return cmd
}

func serve(ctx context.Context, cfg *config.Broker, logger *slog.Logger) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	b, err := broker.New(cfg, logger)
	if err != nil {
		return err
	}
	if err := b.Start(ctx); err != nil {
		if ctx.Err() != nil {
			// SIGINT/SIGTERM while waiting for the quorum or to be
			// unfenced: a requested stop, not a failure.
			logger.Info("stopped before it was ready", "reason", err)
			return nil
		}
		return err
	}
	<-ctx.Done()
	logger.Info("shutting down")
	if err := b.Close(); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped cleanly")
	return nil
}

func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}
