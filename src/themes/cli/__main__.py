from themes.cli.app import main

main()
