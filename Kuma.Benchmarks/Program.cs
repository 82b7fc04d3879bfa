using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Kuma.Benchmarks.ConfigGenerationBenchmarks).Assembly).Run(args);
