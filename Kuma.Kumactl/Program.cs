using System.Text;
using Kuma.Kumactl;

Console.OutputEncoding = new UTF8Encoding(false);
return await Kumactl.RunAsync(args, KumactlEnvironment.FromConsole());
