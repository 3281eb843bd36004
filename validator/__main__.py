from validator.main import main

raise SystemExit(main())
