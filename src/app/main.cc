#include <mfdd/app/commands.h>
#include <mfdd/io/input_error.h>
#include <mfdd/io/parameter_file.h>

#include <deal.II/base/mpi.h>

#include <cstdlib>
#include <iostream>

namespace
{
  /// A process started without an MPI launcher is a single rank: then Open MPI
  /// need not start its run-time daemon or probe the UCX network layer, which
  /// took 0.38 s of the 0.82 s start-up of `mfdd parameters` on this project's
  /// machine (0.44 s without). Settings the user made win (setenv does not
  /// overwrite), and a launched run is left as it is; other MPI libraries
  /// ignore these variables.
  void
  prefer_fast_single_rank_start()
  {
    for (const char *launched : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
      if (std::getenv(launched) != nullptr)
        return;
    setenv("OMPI_MCA_ess_singleton_isolated", "1", 0);
    setenv("OMPI_MCA_pml", "ob1", 0);
  }

  void
  print_usage(std::ostream &out)
  {
    out << "usage: mfdd <command> <file.prm> [--set \"Section/Key=value\" ...]\n"
           "       mfdd parameters            print every parameter with its default and documentation\n"
           "commands:\n";
    for (const auto &command : mfdd::app::commands())
      out << "  " << command.name << std::string(10 - command.name.size(), ' ') << command.summary << '\n';
  }
} // namespace

int
main(int argc, char **argv)
{
  prefer_fast_single_rank_start();
  dealii::Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  const bool root = dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
  const std::vector<std::string> args(argv + 1, argv + argc);

  try
    {
      if (args.empty() || args[0] == "--help" || args[0] == "-h")
        {
          if (root)
            print_usage(std::cout);
          return args.empty() ? 2 : 0;
        }

      dealii::ParameterHandler prm;
      mfdd::app::declare_all_parameters(prm);
      if (args[0] == "parameters")
        {
          if (root)
            prm.print_parameters(std::cout, dealii::ParameterHandler::PRM);
          return 0;
        }

      const mfdd::app::Command *command = nullptr;
      for (const auto &c : mfdd::app::commands())
        if (c.name == args[0])
          command = &c;
      if (command == nullptr)
        throw mfdd::io::InputError("unknown command '" + args[0] + "'; run `mfdd --help` for the list");
      if (args.size() < 2)
        throw mfdd::io::InputError("`mfdd " + args[0] + "` needs a parameter file: mfdd " + args[0] + " <file.prm>");

      std::vector<std::string> settings;
      for (std::size_t i = 2; i < args.size(); ++i)
        {
          if (args[i] != "--set" || i + 1 == args.size())
            throw mfdd::io::InputError("unexpected argument '" + args[i] +
                                       "'; overrides take the form --set \"Section/Key=value\"");
          settings.push_back(args[++i]);
        }
      mfdd::io::read_parameter_file(prm, args[1], settings);

      mfdd::app::RunContext context{prm, args[1], {}, {}};
      context.parse_parameters();
      return command->run(context);
    }
  catch (const mfdd::io::InputError &e)
    {
      if (root)
        std::cerr << "mfdd: error: " << e.what() << std::endl;
      return 2;
    }
  catch (const mfdd::io::RunError &e)
    {
      if (root)
        std::cerr << "mfdd: run stopped: " << e.what() << std::endl;
      return 3;
    }
  catch (const std::exception &e)
    {
      std::cerr << "mfdd: internal error: " << e.what() << std::endl;
      return 1;
    }
}
